/**
 * A failed call to a provider, as the portal shows and handles it: the HTTP status (null when no
 * answer came: connection refused, DNS failure, timeout), the provider's own message, and whether
 * trying again later may help. Messages never contain request URLs (a custom key id — the
 * credential's secret — travels in the path) nor headers.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';

  constructor(
    /** HTTP status Tyk answered with; null when no answer came. */
    readonly status: number | null,
    /** Tyk's message (`message` / `Message` of its error body), or what went wrong on the wire. */
    message: string,
    /** True for network failures, timeouts, 5xx and 429: the same call may succeed later. */
    readonly retryable: boolean,
    /** What the portal was doing (`createPolicy`, `reload`, …), for logs. */
    readonly operation: string,
  ) {
    super(message);
  }
}

export function isRetryableStatus(status: number | null): boolean {
  return status === null || status >= 500 || status === 429 || status === 408;
}
