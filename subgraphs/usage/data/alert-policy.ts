/**
 * Pacing and channels of quota warnings (the alert rules' `coolDownSeconds`,
 * `rearmMarginPercent` and `channels`), applied to the warnings an ingest is about to store: each
 * gets the channels of its threshold, and a warning that would repeat one delivered recently
 * (cool-down) or before the counter ever fell back below its threshold (hysteresis) is held back
 * — stored, with the reason, but not delivered. With the defaults (0, 0) nothing is read and
 * every warning is delivered, as before.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { NIL_UUID } from '../../../common/ids';
import { bulk, pgArray } from '../../../common/sql';
import { channelsOf, DEFAULT_QUOTA_ALERT_POLICY, type QuotaAlertChannel, type QuotaAlertPolicy } from '../services/quota-alert-thresholds';
import type { RaiseQuotaWarningInput } from '../services/quota-warnings';
import type { AlertRuleRow } from '../contracts/attribution';

export type SuppressedReason = 'COOL_DOWN' | 'NOT_REARMED';

/** A warning to store, with where it goes and, when held back, why. */
export type PacedWarning = RaiseQuotaWarningInput & { channels: readonly QuotaAlertChannel[]; suppressedReason: SuppressedReason | null };

interface PreviousRow {
  g: number;
  last_at: string;
  last_window: string;
  last_resets: string;
}

interface WindowRow {
  g: number;
  window_start: string;
  used: number;
  quota_limit: number;
}

/** The counter a warning belongs to, as `usage.quota_window` keys it. */
function counterOf(w: RaiseQuotaWarningInput): { scope: string; subjectId: string } {
  if (w.credentialId) return { scope: 'CREDENTIAL', subjectId: w.credentialId };
  if (w.appId) return { scope: 'APP', subjectId: w.appId };
  return { scope: 'ORGANIZATION', subjectId: w.organizationId };
}

/**
 * Pacing and channels of the warnings, under the alert rules of their organizations (`rules`: the
 * rows the ingest read with its batch context; rows of other organizations are ignored).
 */
export async function paceWarnings(
  tx: EntityManager,
  warnings: readonly RaiseQuotaWarningInput[],
  rules: readonly AlertRuleRow[],
  now: Date,
): Promise<PacedWarning[]> {
  if (!warnings.length) return [];
  const policies = new Map<string, QuotaAlertPolicy>(
    rules.map((row) => [
      `${row.organization_id}|${row.app_id ?? ''}`,
      {
        coolDownSeconds: row.cool_down_seconds,
        rearmMarginPercent: row.rearm_margin_percent,
        channels: new Map(
          Object.entries(row.channels ?? {}).map(([threshold, channels]) => [Number(threshold), channels as QuotaAlertChannel[]]),
        ),
      },
    ]),
  );
  // The app's own rules, else the organization default, else the built-in (as for thresholds).
  const policyOf = (w: RaiseQuotaWarningInput) =>
    (w.appId ? policies.get(`${w.organizationId}|${w.appId}`) : undefined) ??
    policies.get(`${w.organizationId}|`) ??
    DEFAULT_QUOTA_ALERT_POLICY;

  const paced: PacedWarning[] = warnings.map((w) => ({
    ...w,
    channels: channelsOf(policyOf(w), w.thresholdPercent),
    suppressedReason: null,
  }));
  const checked = paced
    .map((w, i) => ({ w, i, policy: policyOf(w) }))
    .filter(({ policy }) => policy.coolDownSeconds > 0 || policy.rearmMarginPercent > 0);
  if (!checked.length) return paced;

  // Candidates of the same counter, kind and threshold, oldest window first: one may be held
  // back by the delivery of an earlier one in this very batch.
  const groups = new Map<string, { w: PacedWarning; i: number; policy: QuotaAlertPolicy }[]>();
  for (const entry of checked) {
    const { w } = entry;
    const key = `${w.organizationId}|${w.appId ?? ''}|${w.credentialId ?? ''}|${w.kind}|${w.thresholdPercent}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  const list = [...groups.values()].map((group) => group.sort((a, b) => a.w.windowStart.getTime() - b.w.windowStart.getTime()));
  const first = list.map((group) => group[0].w);
  const last = list.map((group) => group[group.length - 1].w);
  // The last delivered warning of each group before its first candidate: one SELECT.
  const previous = await bulk<PreviousRow>(
    tx,
    `select c.g::int as g, p.created_at::text as last_at, p.window_start::text as last_window, p.resets_at::text as last_resets
       from unnest(?::int[], ?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::int[], ?::timestamptz[])
            as c(g, organization_id, app_id, credential_id, kind, threshold, window_start)
       join lateral (
         select w.created_at, w.window_start, w.resets_at from usage.quota_warning w
          where w.organization_id = c.organization_id
            and coalesce(w.app_id, '${NIL_UUID}'::uuid) = coalesce(c.app_id, '${NIL_UUID}'::uuid)
            and coalesce(w.credential_id, '${NIL_UUID}'::uuid) = coalesce(c.credential_id, '${NIL_UUID}'::uuid)
            and w.kind = c.kind and w.threshold_percent = c.threshold
            and w.suppressed_reason is null and w.window_start < c.window_start
          order by w.window_start desc limit 1) p on true`,
    [
      pgArray(list.map((_, g) => g)),
      pgArray(first.map((w) => w.organizationId)),
      pgArray(first.map((w) => w.appId ?? null)),
      pgArray(first.map((w) => w.credentialId ?? null)),
      pgArray(first.map((w) => w.kind)),
      pgArray(first.map((w) => w.thresholdPercent)),
      pgArray(first.map((w) => w.windowStart.toISOString())),
    ],
  );
  const previousOf = new Map(previous.map((row) => [row.g, row]));
  // The counter's windows from that delivery (or the first candidate) to the last candidate: one SELECT.
  const windows = await bulk<WindowRow>(
    tx,
    `select c.g::int as g, q.window_start::text as window_start, q.used, q.quota_limit
       from unnest(?::int[], ?::text[], ?::uuid[], ?::uuid[], ?::timestamptz[], ?::timestamptz[]) as c(g, scope, subject_id, plan_id, since, until)
       join usage.quota_window q on q.scope = c.scope and q.subject_id = c.subject_id and q.plan_id = c.plan_id
                                and q.window_start >= c.since and q.window_start <= c.until
      order by q.window_start`,
    [
      pgArray(list.map((_, g) => g)),
      pgArray(first.map((w) => counterOf(w).scope)),
      pgArray(first.map((w) => counterOf(w).subjectId)),
      pgArray(first.map((w) => w.planId ?? NIL_UUID)),
      pgArray(first.map((w, g) => previousOf.get(g)?.last_window ?? w.windowStart.toISOString())),
      pgArray(last.map((w) => w.windowStart.toISOString())),
    ],
  );
  const windowsOf = new Map<number, { start: number; used: number; limit: number }[]>();
  for (const row of windows) {
    windowsOf.set(row.g, [
      ...(windowsOf.get(row.g) ?? []),
      { start: new Date(row.window_start).getTime(), used: row.used, limit: row.quota_limit },
    ]);
  }

  const nowMs = now.getTime();
  list.forEach((group, g) => {
    const row = previousOf.get(g);
    let prev = row
      ? { at: new Date(row.last_at).getTime(), start: new Date(row.last_window).getTime(), resets: new Date(row.last_resets).getTime() }
      : null;
    for (const { w, i, policy } of group) {
      const start = w.windowStart.getTime();
      let reason: SuppressedReason | null = null;
      if (prev && policy.coolDownSeconds > 0 && nowMs - prev.at < policy.coolDownSeconds * 1000) reason = 'COOL_DOWN';
      else if (prev && policy.rearmMarginPercent > 0) {
        const between = (windowsOf.get(g) ?? []).filter((q) => q.start > prev!.start && q.start < start);
        const low = between.some((q) => q.used * 100 < (w.thresholdPercent - policy.rearmMarginPercent) * q.limit);
        // A whole quota period without traffic between the two windows re-arms too.
        const idle = between.length === 0 && start - prev.resets >= prev.resets - prev.start;
        if (!low && !idle) reason = 'NOT_REARMED';
      }
      paced[i].suppressedReason = reason;
      if (reason === null) prev = { at: nowMs, start, resets: w.resetsAt.getTime() };
    }
  });
  return paced;
}
