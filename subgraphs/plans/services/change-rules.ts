/**
 * How a plan changes, shared by the plan use cases (`plans.ts`), the change requests
 * (`plan-changes.ts`, separation of duties) and the provider import: version checks, recording an
 * immutable version plus the provider sync in the same transaction, and which settings need a
 * second portal admin. The row locks are in `../data/`.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { planChangeApproval } from '../../../common/config';
import { refuse } from '../../../common/errors';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { PlanChangeAction } from '../entities/enums';
import { Plan, PlanStatus } from '../entities/plan';
import { PlanVersion } from '../entities/plan-version';
import { existingProductIds, missingCatalogIds } from '../contracts/products';
import { diffSettings, settingsOf, type EndpointRuleSetting, type PlanSettingsData, type SettingChange } from './settings';
import { recordWebhookEvent } from '../../../common/webhooks';
import { ormNow } from '../../../common/clock';

export { serviceOps, type Ops } from '../../../common/ops';

/** OAuth2 clients are registered with the plan's scopes: a plan that issues them needs at least one. */
export function refuseScopelessOAuthClients(settings: PlanSettingsData, field: string): void {
  if (settings.credentialKind === 'OAUTH_CLIENT' && settings.jwtScopes.length === 0) {
    refuse(
      'VALIDATION_FAILED',
      field,
      'A plan that issues OAuth2 clients (credentialKind OAUTH_CLIENT) needs at least one JWT scope: its clients are registered with the plan’s scopes and Tyk recognises the plan by them. Give jwtScopes, or keep API_KEY.',
    );
  }
}

export function checkVersion(plan: Plan, expectedVersion: number | null | undefined): void {
  if (expectedVersion !== undefined && expectedVersion !== null && expectedVersion !== plan.version) {
    refuse(
      'VERSION_CONFLICT',
      'input.expectedVersion',
      `The plan is at version ${plan.version}, not ${expectedVersion}: someone changed it meanwhile. Reload it, then apply your change again.`,
    );
  }
}

export async function refuseMissingCatalogs(em: EntityManager, ids: string[], field: string, hint: string): Promise<void> {
  const missing = await missingCatalogIds(em, ids);
  if (missing.length) refuse('NOT_FOUND', field, `No catalog has these ids: ${missing.join(', ')}. ${hint}`);
}

/** Refuses endpoint rules for products that do not exist (read from the products subgraph's published view). */
export async function refuseMissingProducts(em: EntityManager, rules: readonly EndpointRuleSetting[], field: string): Promise<void> {
  const ids = [...new Set(rules.map((r) => r.productId))];
  if (!ids.length) return;
  const found = await existingProductIds(em, ids);
  const index = rules.findIndex((r) => !found.has(r.productId));
  if (index >= 0)
    refuse(
      'NOT_FOUND',
      field.endsWith('.endpointRules') ? `${field}[${index}].productId` : field,
      `No product has the id ${rules[index]!.productId}: create the product first or remove the rule.`,
    );
}

export interface PlanSnapshot {
  settings: PlanSettingsData;
  status: PlanStatus;
}

export const snapshot = (plan: Plan): PlanSnapshot => ({ settings: settingsOf(plan), status: plan.status });

export interface RecordOptions {
  /** Subject of who made (or proposed) the change; `system:import` for imports. */
  changedBy: string;
  /** The second portal admin, for approved change requests. */
  approvedBy?: string | null;
  rolledBackTo?: number | null;
  /** Enqueue the provider sync (default true; imports come from the provider and skip it). */
  sync?: boolean;
}

/**
 * Records the plan's new state as an immutable version (diffed against `before`) and enqueues the
 * provider sync, both in the caller's transaction. Change requests proposed against older versions
 * stay PENDING until someone tries to approve them (then they become SUPERSEDED).
 */
export async function recordChange(
  em: EntityManager,
  plan: Plan,
  action: PlanChangeAction,
  before: PlanSnapshot | null,
  options: RecordOptions,
): Promise<void> {
  const settings = settingsOf(plan);
  em.create(PlanVersion, {
    planId: plan.id,
    version: plan.version,
    action,
    status: plan.status,
    settingsJson: settings as unknown as Record<string, unknown>,
    changesJson: diffSettings(before, { settings, status: plan.status }),
    changedBy: options.changedBy,
    approvedBy: options.approvedBy ?? null,
    rolledBackTo: options.rolledBackTo ?? null,
  });
  await em.flush();
  if (options.sync ?? true) await enqueueJob(em, JOB_TASKS.syncPlan, { planId: plan.id }, { jobKey: `plan:${plan.id}` });
  await recordWebhookEvent(em, {
    type: action === PlanChangeAction.CREATED ? 'PLAN_CREATED' : 'PLAN_UPDATED',
    organizationId: null,
    occurredAt: ormNow(em),
    data: { planId: plan.id, name: plan.name, status: plan.status, version: plan.version, action },
  });
}

// ---------------------------------------------------------------------------------------------
// Separation of duties (PLAN_CHANGE_APPROVAL=required).

/** Diff fields (`PlanSettingChange.field`) that need a second portal admin: limits, JWT scopes, endpoint rules, visibility. */
export const GOVERNED_FIELDS: ReadonlySet<string> = new Set([
  'quota',
  'rateLimit',
  'quotaScope',
  'keyExpiresAfterSeconds',
  'jwtScopes',
  'endpointRules',
  'catalogs',
  'status',
]);

/** The input field of `UpdatePlanInput` for a diff field. */
export const INPUT_FIELD: Record<string, string> = { catalogs: 'catalogIds', status: 'status' };

export function approvalRequired(env: NodeJS.ProcessEnv): boolean {
  return planChangeApproval(env) === 'required';
}

export function governedChanges(changes: readonly SettingChange[]): SettingChange[] {
  return changes.filter((change) => GOVERNED_FIELDS.has(change.field));
}

/**
 * With PLAN_CHANGE_APPROVAL=required, refuses a direct change that touches limits, JWT scopes, endpoint rules or
 * visibility (APPROVAL_REQUIRED, nothing is written) and says how to propose it instead.
 */
export function refuseUnapproved(
  env: NodeJS.ProcessEnv,
  changes: readonly SettingChange[],
  field: (change: SettingChange) => string,
  what: string,
): void {
  if (!approvalRequired(env)) return;
  const governed = governedChanges(changes);
  if (!governed.length) return;
  const names = governed.map((c) => `\`${c.field}\``).join(', ');
  refuse(
    'APPROVAL_REQUIRED',
    field(governed[0]!),
    `${what} changes ${names}, and changes of limits, JWT scopes, endpoint rules and visibility need a second portal admin here (PLAN_CHANGE_APPROVAL=required): propose it with proposePlanChange; another portal admin approves it with approvePlanChange. Other settings can be changed directly.`,
  );
}
