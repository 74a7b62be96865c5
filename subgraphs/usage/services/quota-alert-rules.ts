/**
 * The quota alert rules use cases: list an organization's rules, set the thresholds of an
 * organization or one of its apps (inside the mutation's transaction, after the resolver has
 * checked the caller), and the thresholds that apply to an app, for the usage ingest.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { userError, UserErrorException } from '../../../common/errors';
import { isUuid, NIL_UUID } from '../../../common/ids';
import { Validation } from '../../../common/mutation';
import { QuotaAlertRule } from '../entities/quota-alert-rule';
import { QuotaAlertRules, type SetQuotaAlertRulesInput } from '../resolvers/quota-alert-rules.types';
import {
  ALL_QUOTA_ALERT_CHANNELS,
  DEFAULT_QUOTA_ALERT_THRESHOLDS,
  QuotaAlertChannel,
  validatePolicy,
  validateThresholds,
} from './quota-alert-thresholds';

/** Every threshold with its channels (stored ones, else every channel). */
function channelList(thresholds: readonly number[], stored: Record<string, string[]>) {
  return thresholds.map((thresholdPercent) => ({
    thresholdPercent,
    channels: (stored[String(thresholdPercent)] ?? ALL_QUOTA_ALERT_CHANNELS) as QuotaAlertChannel[],
  }));
}

export function toQuotaAlertRules(rule: QuotaAlertRule): QuotaAlertRules {
  return Object.assign(new QuotaAlertRules(), {
    organizationId: rule.organizationId,
    appId: rule.appId,
    thresholds: [...rule.thresholds],
    coolDownSeconds: rule.coolDownSeconds,
    rearmMarginPercent: rule.rearmMarginPercent,
    channels: channelList(rule.thresholds, rule.channels ?? {}),
    isDefault: false,
    updatedBy: rule.updatedBy,
    updatedAt: rule.updatedAt,
  });
}

export function defaultQuotaAlertRules(organizationId: string, appId: string | null = null): QuotaAlertRules {
  return Object.assign(new QuotaAlertRules(), {
    organizationId,
    appId,
    thresholds: [...DEFAULT_QUOTA_ALERT_THRESHOLDS],
    coolDownSeconds: 0,
    rearmMarginPercent: 0,
    channels: channelList(DEFAULT_QUOTA_ALERT_THRESHOLDS, {}),
    isDefault: true,
    updatedBy: null,
    updatedAt: null,
  });
}

/**
 * The thresholds that apply to an app (or, with `appId` null, the organization): the app's own
 * rules, else the organization default, else the built-in defaults. For the usage ingest.
 */
export async function effectiveQuotaAlertRules(em: EntityManager, organizationId: string, appId: string | null): Promise<QuotaAlertRules> {
  const rules = await em.find(QuotaAlertRule, { organizationId, $or: appId ? [{ appId: null }, { appId }] : [{ appId: null }] });
  const own = appId ? rules.find((r) => r.appId === appId) : undefined;
  const fallback = rules.find((r) => r.appId === null);
  const found = own ?? fallback;
  return found ? toQuotaAlertRules(found) : defaultQuotaAlertRules(organizationId, null);
}

/** `quotaAlertRules`: the organization default (the built-in one when none was set), then the rules of individual apps. */
export async function listQuotaAlertRules(em: EntityManager, organizationId: string): Promise<QuotaAlertRules[]> {
  const rows = await em.find(QuotaAlertRule, { organizationId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  const organizationDefault = rows.find((r) => r.appId === null);
  return [
    organizationDefault ? toQuotaAlertRules(organizationDefault) : defaultQuotaAlertRules(organizationId),
    ...rows.filter((r) => r.appId !== null).map(toQuotaAlertRules),
  ];
}

/** `setQuotaAlertRules`: replaces the thresholds of the organization (its default) or of one of its apps. */
export async function setQuotaAlertRules(
  em: EntityManager,
  now: Date,
  subject: string,
  input: SetQuotaAlertRulesInput,
): Promise<{ rules: QuotaAlertRules | null }> {
  const appId = input.appId ?? null;
  const validation = new Validation().check(
    appId === null || isUuid(appId),
    'input.appId',
    'Pass an app id (a UUID), or leave `appId` out to set the organization default.',
  );
  validateThresholds(validation, input.thresholds);
  validatePolicy(validation, input.thresholds, input);
  validation.done();
  if (appId !== null) {
    // Rules only for the organization's own apps (developers' published view): an app of
    // another organization, or one that does not exist, is NOT_FOUND.
    const owner = await em
      .getConnection()
      .execute<{ organization_id: string }[]>(
        `select organization_id::text as organization_id from developers.app_contract where id = ?`,
        [appId],
        'all',
        em.getTransactionContext(),
      );
    if (owner[0]?.organization_id !== input.organizationId.toLowerCase()) {
      throw new UserErrorException([userError('NOT_FOUND', 'input.appId', 'This organization has no app with this id: check the id.')]);
    }
  }
  const thresholds = [...input.thresholds].sort((a, b) => a - b);
  // Only thresholds whose channels differ from "every channel" are stored.
  const channels = Object.fromEntries(
    (input.channels ?? [])
      .filter((entry) => !ALL_QUOTA_ALERT_CHANNELS.every((channel) => entry.channels.includes(channel)))
      .map((entry) => [String(entry.thresholdPercent), ALL_QUOTA_ALERT_CHANNELS.filter((channel) => entry.channels.includes(channel))]),
  );
  const at = now.toISOString();
  const rows = await em.getConnection().execute<Record<string, unknown>[]>(
    `insert into usage.quota_alert_rule
       (id, organization_id, app_id, thresholds, cool_down_seconds, rearm_margin_percent, channels, updated_by, created_at, updated_at)
     values (?, ?, ?, ?::integer[], ?, ?, ?::jsonb, ?, ?::timestamptz, ?::timestamptz)
     on conflict (organization_id, (coalesce(app_id, '${NIL_UUID}'::uuid)))
     do update set thresholds = excluded.thresholds, cool_down_seconds = excluded.cool_down_seconds,
                   rearm_margin_percent = excluded.rearm_margin_percent, channels = excluded.channels,
                   updated_by = excluded.updated_by, updated_at = excluded.updated_at
     returning *`,
    [
      randomUUID(),
      input.organizationId,
      appId,
      `{${thresholds.join(',')}}`,
      input.coolDownSeconds ?? 0,
      input.rearmMarginPercent ?? 0,
      JSON.stringify(channels),
      subject,
      at,
      at,
    ],
    'all',
    em.getTransactionContext(),
  );
  return { rules: toQuotaAlertRules(em.map(QuotaAlertRule, rows[0])) };
}
