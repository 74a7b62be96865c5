/**
 * Job names provider sync handles and enqueues (graphile-worker task identifiers). The first
 * two are also in `common/jobs.ts` (`JOB_TASKS`), enqueued by plans and products.
 */
export const TASKS = {
  /** { planId } — jobKey `plan:<planId>` (plans enqueues it on every change). */
  syncPlan: 'provider.syncPlan',
  /** { productId } — jobKey `product:<productId>` (products enqueues it on every change). */
  syncProduct: 'provider.syncProduct',
  /** { credentialId } — jobKey `key:<credentialId>` (developers: approval, rotation). */
  issueKey: 'provider.issueKey',
  /** { credentialId } — jobKey `key:<credentialId>` (developers: approved plan change). */
  updateKeyPolicies: 'provider.updateKeyPolicies',
  /** { credentialId } — jobKey `revoke:<credentialId>` (developers: revocation, end of rotation grace). */
  revokeKey: 'provider.revokeKey',
  /** { providerId } — jobKey `provider-sync:<providerId>`: periodic dashboard-first import and drift repair. */
  syncProvider: 'provider.syncProvider',
  /** Handled by developers: { credentialId, version } — the Tyk key exists. */
  keyIssued: 'developers.keyIssued',
  /** Handled by plans: create/rename a bare plan from an imported consumption-limit policy. */
  importPlan: 'plans.importPolicy',
  /** Handled by products: create/rename a bare product from an imported access policy. */
  importProduct: 'products.importPolicy',
} as const;
