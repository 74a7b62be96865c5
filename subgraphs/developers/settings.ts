/** Settings of the developers subgraph read from the environment (documented in the README's table). */

/** Default lead time of CREDENTIAL_EXPIRING events: 7 days before `expiresAt`. */
export const DEFAULT_CREDENTIAL_EXPIRY_WARNING_SECONDS = 604_800;

/**
 * `CREDENTIAL_EXPIRY_WARNING_SECONDS`: how long before a credential's `expiresAt` the
 * CREDENTIAL_EXPIRING event is published (an integer ≥ 0; default 604800 = 7 days).
 */
export function credentialExpiryWarningSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CREDENTIAL_EXPIRY_WARNING_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_CREDENTIAL_EXPIRY_WARNING_SECONDS;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`CREDENTIAL_EXPIRY_WARNING_SECONDS must be a whole number of seconds ≥ 0, not ${raw}`);
  return seconds;
}

/** Rotation grace periods: 0 to 30 days, default 1 day. */
export const MAX_GRACE_PERIOD_SECONDS = 2_592_000;
export const DEFAULT_GRACE_PERIOD_SECONDS = 86_400;

/** At most this many products in one access request. */
export const MAX_PRODUCTS_PER_REQUEST = 50;
