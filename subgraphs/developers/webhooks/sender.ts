/**
 * One webhook delivery attempt over HTTP: POST the signed body, follow redirects by hand (at most
 * `MAX_REDIRECTS`, each target checked like the first: scheme, DNS, address), connect only to the
 * checked address, give up after `timeoutMs` for the whole attempt, read at most
 * `MAX_RESPONSE_BYTES` of the answer and throw the rest away. Nothing here logs: the caller records
 * the outcome (status, time, a short reason), never headers or bodies.
 */
import http from 'node:http';
import https from 'node:https';
import { checkUrlForm, pinnedLookup, resolveTarget, WebhookUrlError, type AddressPolicy } from './address-guard';

export const MAX_REDIRECTS = 3;
export const MAX_RESPONSE_BYTES = 16 * 1024;

export interface AttemptResult {
  ok: boolean;
  /** HTTP status of the last answer; null when none came. */
  status: number | null;
  /** Why it failed (short, no secrets); null when ok. */
  error: string | null;
  elapsedMs: number;
}

function postOnce(
  url: URL,
  lookup: ReturnType<typeof pinnedLookup>,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<{ status: number; location: string | null }> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(
      url,
      {
        method: 'POST',
        lookup,
        agent: false,
        signal,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      },
      (response) => {
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) response.destroy();
        });
        const done = () => resolve({ status: response.statusCode ?? 0, location: response.headers.location ?? null });
        response.on('end', done);
        response.on('close', done);
        response.on('error', done);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function reasonOf(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'timeout';
  if (error instanceof WebhookUrlError) return error.message;
  const code = (error as { code?: unknown })?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection reset';
  if (typeof code === 'string' && /CERT|SSL|TLS/i.test(code)) return `TLS error (${code})`;
  return typeof code === 'string' ? `network error (${code})` : 'network error';
}

/** Sends one attempt; never throws. */
export async function attemptDelivery(
  endpointUrl: string,
  headers: Record<string, string>,
  body: string,
  policy: AddressPolicy,
  timeoutMs: number,
): Promise<AttemptResult> {
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  const elapsed = () => Math.round(performance.now() - started);
  try {
    let url = checkUrlForm(endpointUrl, policy);
    for (let hop = 0; ; hop += 1) {
      const target = await resolveTarget(url, policy, timeoutMs);
      if (signal.aborted) return { ok: false, status: null, error: 'timeout', elapsedMs: elapsed() };
      const answer = await postOnce(url, pinnedLookup(target), headers, body, signal);
      if (answer.status >= 200 && answer.status < 300) return { ok: true, status: answer.status, error: null, elapsedMs: elapsed() };
      if ([301, 302, 303, 307, 308].includes(answer.status) && answer.location) {
        if (hop >= MAX_REDIRECTS) {
          return { ok: false, status: answer.status, error: `more than ${MAX_REDIRECTS} redirects`, elapsedMs: elapsed() };
        }
        try {
          url = checkUrlForm(new URL(answer.location, url).toString(), policy);
        } catch (error) {
          const why = error instanceof WebhookUrlError ? error.message : 'bad Location header';
          return { ok: false, status: answer.status, error: `redirect refused: ${why}`, elapsedMs: elapsed() };
        }
        continue;
      }
      return { ok: false, status: answer.status, error: `HTTP ${answer.status}`, elapsedMs: elapsed() };
    }
  } catch (error) {
    return { ok: false, status: null, error: reasonOf(error, signal), elapsedMs: elapsed() };
  }
}
