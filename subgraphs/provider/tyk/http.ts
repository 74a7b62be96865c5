import { isRetryableStatus, ProviderError } from './errors';

/** How one call to a provider ended, for the provider's health. */
export type CallOutcome = { ok: true } | { ok: false; error: ProviderError };

export interface TransportOptions {
  baseUrl: string;
  /** Auth header(s): `x-tyk-authorization` (Gateway) or `authorization` (Dashboard). */
  headers: Record<string, string>;
  /** Per-request timeout (AbortSignal.timeout). */
  timeoutMs: number;
  /** Told about every call (health bookkeeping); must not throw. */
  onOutcome?: (outcome: CallOutcome) => void;
}

export interface RequestOptions {
  query?: Record<string, string>;
  body?: unknown;
  /** Non-2xx statuses that are an expected answer (e.g. 404 on a lookup) instead of an error. */
  accept?: readonly number[];
}

export interface HttpResult {
  status: number;
  body: unknown;
}

/** Tyk's message from an error body: Gateway `{status, message}`, Dashboard `{Status, Message}`. */
export function messageOf(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    for (const key of ['message', 'Message', 'error']) {
      const value = record[key];
      if (typeof value === 'string' && value.trim()) return value.trim().slice(0, 1000);
    }
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 1000);
  return `HTTP ${status} without a message`;
}

function networkMessage(error: unknown, timeoutMs: number): string {
  const err = error as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `The provider did not answer within ${timeoutMs} ms`;
  const code = err?.cause?.code;
  if (code) return `Could not reach the provider (${code})`;
  return `Could not reach the provider (${err?.cause?.message ?? err?.message ?? 'network error'})`;
}

/**
 * JSON over HTTP with a timeout. 2xx and `accept`ed statuses resolve; anything else throws a
 * ProviderError carrying Tyk's message. The URL is never put into errors or logs.
 */
export class Transport {
  constructor(private readonly options: TransportOptions) {}

  async request(operation: string, method: string, path: string, request: RequestOptions = {}): Promise<HttpResult> {
    const query = request.query && Object.keys(request.query).length ? `?${new URLSearchParams(request.query).toString()}` : '';
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.options.baseUrl}${path}${query}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...this.options.headers,
        },
        body: request.body !== undefined ? JSON.stringify(request.body) : undefined,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw this.fail(new ProviderError(null, networkMessage(error, this.options.timeoutMs), true, operation));
    }
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if ((response.status >= 200 && response.status < 300) || request.accept?.includes(response.status)) {
      this.options.onOutcome?.({ ok: true });
      return { status: response.status, body };
    }
    throw this.fail(new ProviderError(response.status, messageOf(body, response.status), isRetryableStatus(response.status), operation));
  }

  private fail(error: ProviderError): ProviderError {
    this.options.onOutcome?.({ ok: false, error });
    return error;
  }
}
