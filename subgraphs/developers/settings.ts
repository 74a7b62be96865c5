/** Settings of the developers subgraph read from the environment (documented in the README's table). */

// CREDENTIAL_EXPIRY_WARNING_SECONDS is read by `credentialExpiryWarningSeconds(env)` in common/config.

/** Rotation grace periods: 0 to 30 days, default 1 day. */
export const MAX_GRACE_PERIOD_SECONDS = 2_592_000;
export const DEFAULT_GRACE_PERIOD_SECONDS = 86_400;

/**
 * How long a retried `rotateCredential` (same idempotency key, same caller, same input) gets the
 * new secret again: 1 hour, enough for a client to retry a lost response, far shorter than the
 * key's 24 h retention so a sealed copy of a live secret does not linger (docs/CREDENTIALS.md).
 */
export const ROTATION_REPLAY_SECRET_MS = 60 * 60 * 1000;

/** At most this many products in one access request. */
export const MAX_PRODUCTS_PER_REQUEST = 50;
