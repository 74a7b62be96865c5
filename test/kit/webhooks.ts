/**
 * A real webhook receiver for the tests: a node HTTP server on 127.0.0.1 that records every
 * request (headers and raw body) and answers with the status its script gives (200 by default),
 * and checks signatures with the `standardwebhooks` library, as an integrator's receiver would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The answer the receiver gave. */
  status: number;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** Settings of the webhook delivery for tests: 127.0.0.1 allowed, short timeouts and back-off. */
export function webhookTestEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
    WEBHOOK_TIMEOUT_MS: '2000',
    WEBHOOK_RETRY_BASE_MS: '50',
    ...extra,
  };
}

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Decides each answer's status (and may redirect): default 200. */
  respond: (request: { path: string; count: number }) => { status: number; location?: string } = () => ({ status: 200 });
  private server: http.Server | null = null;

  async start(): Promise<this> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = request.url ?? '/';
        const answer = this.respond({ path, count: this.received.filter((r) => r.path === path).length });
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value;
        let json: ReceivedWebhook['json'];
        try {
          json = JSON.parse(body);
        } catch {
          json = { type: '', timestamp: '', data: {} };
        }
        this.received.push({ path, headers, body, status: answer.status, json });
        response.writeHead(answer.status, answer.location ? { location: answer.location } : {});
        response.end(answer.status < 300 ? 'ok' : 'no');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  /** http://127.0.0.1:<port><path> */
  url(path = '/hooks'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests to `path` (every attempt, failed ones included). */
  at(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Verifies a received request with the standard library and the endpoint's secret; throws when it does not verify. */
export function verifyWebhook(secret: string, request: ReceivedWebhook): unknown {
  return new Webhook(secret).verify(request.body, request.headers);
}
