import type http from 'node:http';
import net from 'node:net';
import type { WebSocketServer } from 'ws';

/**
 * How long a server keeps an idle keep-alive connection open, and how long it tells its clients it
 * does: the clients must always close an idle connection first, or a client may send a request on
 * a connection the server is closing that moment (ECONNRESET: seen as SUBREQUEST_HTTP_ERROR from
 * the gateway, and as "fetch failed" in tests, on a busy machine). Node's HTTP agent (the
 * gateway's upstream fetch) closes an idle connection after 5 s or the server's `Keep-Alive:
 * timeout` hint, whichever is shorter; undici (Node's fetch) after the hint less 1 s. Node's
 * server defaults to 5 s and advertises exactly that: the gateway's agent and the server then
 * timed out together, and undici had 1 s of margin, less than a loaded event loop's lag. Here the
 * server advertises 5 s and keeps the connection 10 s: 5–6 s of margin for either client.
 */
export const KEEP_ALIVE_ADVERTISED_SECONDS = 5;
export const KEEP_ALIVE_TIMEOUT_MS = 10_000;

/** Applies the keep-alive timeouts above to a server (its header timeout stays above them). */
export function keepIdleConnectionsLonger(server: http.Server): void {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  if (server.headersTimeout <= KEEP_ALIVE_TIMEOUT_MS) server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  // Node writes its own hint (the real timeout) only when the response has none.
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) =>
    res.setHeader('keep-alive', `timeout=${KEEP_ALIVE_ADVERTISED_SECONDS}`),
  );
}

/**
 * WebSocket close code 1012, "Service Restart": the server is going away and will be back (or
 * another replica will answer). graphql-ws clients treat it as retryable: with `retryAttempts`
 * above 0 they reconnect and send their running subscriptions again.
 */
export const CLOSE_SERVICE_RESTART = 1012;

/** How to stop a subgraph or the gateway. */
export interface StopOptions {
  /**
   * How long requests (and jobs) in flight may take to finish, in milliseconds; default
   * `SHUTDOWN_GRACE_SECONDS` of the process's environment. 0 closes every connection at once.
   */
  graceMs?: number;
}

/**
 * The part of a grace period the drain may use: the rest (a fifth, at most 2 s) is left for
 * closing database connections before the process must be gone.
 */
export function drainDeadline(graceMs: number): number {
  return Math.max(0, graceMs - Math.min(2000, graceMs / 5));
}

/** What a drain did: `graceful` is false when the deadline cut connections that were still busy. */
export interface DrainResult {
  graceful: boolean;
  /** Requests that were still running when the deadline cut them. */
  cut: number;
}

interface Tracked {
  /** Requests of this connection whose response has not finished. */
  inFlight: number;
  /** Since when (performance.now) the connection has had no request in flight. */
  idleSince: number;
  /** Handed to the WebSocket server: closed by `closeWebSockets`, cut only at the deadline. */
  upgraded: boolean;
}

/**
 * Graceful shutdown of a Node HTTP server. Attach it when the server is created (it must see
 * every connection); `drain` then
 *
 * 1. stops accepting connections at once (the port refuses new ones, so a load balancer moves
 *    on to another replica);
 * 2. lets every request in flight finish, answering it with `Connection: close`, and answers a
 *    request that still arrives on an open keep-alive connection the same way;
 * 3. closes keep-alive connections that sit idle once they have been idle for the server's
 *    keep-alive timeout — the moment Node would close them anyway. Closing one earlier would race
 *    a client that is just sending its next request on it: that request would fail although it
 *    never reached the server. Clients that honour the `Keep-Alive: timeout=…` header Node sends
 *    (Node's agent, undici) drop an idle connection a second before that, so none is lost;
 * 4. at `deadlineMs`, destroys whatever is left.
 *
 * Responses that never end by themselves (`streams`: server-sent events) are cut when the drain
 * starts, since waiting for them would only wait for the deadline; their clients reconnect, as
 * EventSource does by itself.
 *
 * Node's own `server.close()` closes idle keep-alive connections immediately (step 3 without the
 * wait), which is why the listener is closed through `net.Server` here.
 */
export class HttpDrain {
  private readonly sockets = new Map<net.Socket, Tracked>();
  private readonly responses = new Set<http.ServerResponse>();
  private draining = false;
  private done: Promise<DrainResult> | null = null;

  constructor(
    private readonly server: http.Server,
    private readonly options: { streams?: (res: http.ServerResponse) => boolean } = {},
  ) {
    // Prepended: the drain must count a request before the application's handler may answer it.
    server.prependListener('connection', (socket: net.Socket) => {
      this.sockets.set(socket, { inFlight: 0, idleSince: performance.now(), upgraded: false });
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const tracked = this.sockets.get(req.socket);
      if (tracked) tracked.inFlight += 1;
      this.responses.add(res);
      if (this.draining) res.setHeader('connection', 'close');
      res.once('close', () => {
        this.responses.delete(res);
        if (!tracked) return;
        tracked.inFlight -= 1;
        if (tracked.inFlight === 0) tracked.idleSince = performance.now();
      });
    });
    server.on('upgrade', (req: http.IncomingMessage) => {
      const tracked = this.sockets.get(req.socket);
      if (tracked) tracked.upgraded = true;
    });
  }

  /** True once `drain` was called: `/readyz` answers 503 from then on. */
  get isDraining(): boolean {
    return this.draining;
  }

  /** Requests whose response has not finished yet. */
  get inFlight(): number {
    return this.responses.size;
  }

  /**
   * Stops accepting connections and waits until every connection is gone (see the class), or
   * until `deadlineMs` from now, when the rest is destroyed. A deadline of 0 closes everything at
   * once. Calling it again returns the same drain.
   */
  drain(deadlineMs: number): Promise<DrainResult> {
    this.done ??= this.run(deadlineMs);
    return this.done;
  }

  private async run(deadlineMs: number): Promise<DrainResult> {
    this.draining = true;
    // Stop listening without Node's http close, which would also close idle keep-alive connections at once.
    const listenerClosed = new Promise<void>((resolve) => net.Server.prototype.close.call(this.server, () => resolve()));
    for (const res of this.responses) {
      if (this.options.streams?.(res)) res.destroy();
      else if (!res.headersSent) res.setHeader('connection', 'close');
    }
    const idleAfter = this.server.keepAliveTimeout > 0 ? this.server.keepAliveTimeout : 5000;
    const started = performance.now();
    let cut = 0;
    await new Promise<void>((resolve) => {
      const check = () => {
        const now = performance.now();
        const late = now - started >= deadlineMs;
        for (const [socket, tracked] of this.sockets) {
          if (late) {
            if (tracked.inFlight > 0) cut += tracked.inFlight;
            socket.destroy();
          } else if (!tracked.upgraded && tracked.inFlight === 0 && now - tracked.idleSince >= idleAfter) {
            socket.destroy();
          }
        }
        if (this.sockets.size === 0 || late) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(check, 50);
      check();
    });
    await listenerClosed;
    // Node's http close clears its request-timeout checker; the listener is already closed.
    this.server.close(() => undefined);
    return { graceful: cut === 0, cut };
  }
}

/**
 * Closes every client of a WebSocket server with `code` (1012 by default, see
 * `CLOSE_SERVICE_RESTART`) and resolves once they are closed, or after `deadlineMs` (the rest are
 * terminated).
 */
export async function closeWebSockets(
  wss: WebSocketServer,
  deadlineMs: number,
  code = CLOSE_SERVICE_RESTART,
  reason = 'Service Restart',
): Promise<void> {
  const clients = [...wss.clients];
  if (!clients.length) return;
  await new Promise<void>((resolve) => {
    let open = clients.length;
    const timer = setTimeout(() => {
      for (const client of clients) client.terminate();
      resolve();
    }, deadlineMs);
    timer.unref();
    for (const client of clients) {
      client.once('close', () => {
        open -= 1;
        if (open === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      client.close(code, reason);
    }
  });
}
