/**
 * The access review: ACTIVE credentials unused for N days (`accessReview`), their revocation with
 * notice (`revokeUnusedCredentials`: the organization is told at once, the revocation is a job due
 * at the end of the notice that skips credentials used meanwhile), `keepCredential` to call a
 * revocation off, and the daily report for portal admins (`accessReviewReports`). When a
 * credential was last used comes from the usage subgraph's published view
 * (`contracts/usage.ts`).
 */
import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../../../common/auth';
import { appendAudit } from '../../../common/audit';
import { badInput, forbidden, refusal } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { Validation } from '../../../common/mutation';
import type { Ops } from '../../../common/ops';
import { decodeCursor, encodeCursor, lazy, PageInfo, pageSize, type ConnectionShape } from '../../../common/relay';
import { pgArray, query } from '../../../common/sql';
import { recordWebhookEvent } from '../../../common/webhooks';
import { lastUsedAt, lastUsedJoin } from '../contracts/usage';
import { AccessRequestEventType } from '../entities/access-request-event';
import { Credential, CredentialStatus, effectiveCredentialStatus } from '../entities/credential';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import {
  AccessReviewEntry,
  AccessReviewReport,
  MAX_NOTICE_DAYS,
  MAX_REVOKE_BATCH,
  MAX_UNUSED_DAYS,
  type AccessReviewArgs,
  type KeepCredentialInput,
  type RevokeUnusedCredentialsInput,
} from '../resolvers/access-review.types';
import { emitAccessEvent } from './events';
import { checkReason } from './validation';

const DAY_MS = 86_400_000;
/** The daily report keeps the first this many entries (all are counted). */
export const REPORT_MAX_ENTRIES = 1000;
/** The recurring schedule of the daily report (graphile-worker crontab: 06:00 UTC). */
export const ACCESS_REVIEW_REPORT_SCHEDULE = { task: JOB_TASKS.accessReviewReport, match: '0 6 * * *' };

/** The job key of a credential's scheduled revocation for want of use. */
export const unusedRevocationJobKey = (credentialId: string): string => `unused-revocation:${credentialId}`;

interface UnusedRow {
  id: string;
  app_id: string;
  organization_id: string;
  requested_by: string;
  created_at: Date;
  last_used_at: Date | null;
  unused_revocation_due_at: Date | null;
}

function entryOf(row: UnusedRow): AccessReviewEntry {
  return Object.assign(new AccessReviewEntry(), {
    credentialId: row.id,
    appId: row.app_id,
    organizationId: row.organization_id,
    ownerSubject: row.requested_by,
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at) : null,
    createdAt: new Date(row.created_at),
    revokeAt: row.unused_revocation_due_at ? new Date(row.unused_revocation_due_at) : null,
  });
}

export interface UnusedQuery {
  now: Date;
  unusedForDays: number;
  /** Only these organizations; null for all. */
  organizationIds: string[] | null;
}

/**
 * The conditions of "ACTIVE and unused for N days": stored ACTIVE, not rotated out, not expired,
 * issued at least N days ago and not used since (`activity.last_used_at` from the lateral join).
 */
function unusedWhere(q: UnusedQuery): { sql: string; params: unknown[] } {
  const cutoff = new Date(q.now.getTime() - q.unusedForDays * DAY_MS).toISOString();
  const parts = [
    `c.status = 'ACTIVE'`,
    `c.revokes_at is null`,
    `(c.expires_at is null or c.expires_at > ?)`,
    `c.created_at <= ?`,
    `(activity.last_used_at is null or activity.last_used_at < ?)`,
  ];
  const params: unknown[] = [q.now.toISOString(), cutoff, cutoff];
  if (q.organizationIds) {
    parts.push(`c.organization_id = any(?::uuid[])`);
    params.push(pgArray(q.organizationIds));
  }
  return { sql: parts.join(' and '), params };
}

const UNUSED_SELECT = `
  select c.id::text as id, c.app_id::text as app_id, c.organization_id::text as organization_id, c.requested_by,
         c.created_at, activity.last_used_at, c.unused_revocation_due_at
    from developers.credential c
    ${lastUsedJoin('c.id')}`;

/** A page of unused credentials, oldest first (keyset on created_at, id). */
export async function findUnusedCredentials(
  em: EntityManager,
  q: UnusedQuery,
  page: { after: { createdAt: Date; id: string } | null; limit: number },
): Promise<UnusedRow[]> {
  const where = unusedWhere(q);
  const params = [...where.params];
  let sql = `${UNUSED_SELECT} where ${where.sql}`;
  if (page.after) {
    sql += ` and (c.created_at, c.id) > (?::timestamptz, ?::uuid)`;
    params.push(page.after.createdAt.toISOString(), page.after.id);
  }
  return query<UnusedRow>(em, `${sql} order by c.created_at, c.id limit ?`, [...params, page.limit]);
}

/** How many credentials are unused, and in how many organizations. */
export async function countUnusedCredentials(em: EntityManager, q: UnusedQuery): Promise<{ credentials: number; organizations: number }> {
  const where = unusedWhere(q);
  const [row] = await query<{ credentials: string | number; organizations: string | number }>(
    em,
    `select count(*) as credentials, count(distinct c.organization_id) as organizations
       from developers.credential c ${lastUsedJoin('c.id')} where ${where.sql}`,
    where.params,
  );
  return { credentials: Number(row?.credentials ?? 0), organizations: Number(row?.organizations ?? 0) };
}

function checkUnusedForDays(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_UNUSED_DAYS) {
    throw badInput(field, `Give a number of days from 1 to ${MAX_UNUSED_DAYS}.`);
  }
}

/** The organizations the caller administers (ORG_ADMIN). */
async function administeredOrganizations(em: EntityManager, subject: string): Promise<string[]> {
  return (await em.find(OrganizationMember, { subject, role: OrganizationRole.ORG_ADMIN })).map((m) => m.organization.id);
}

const reviewRefusal = () =>
  forbidden('Only portal admins and ORG_ADMINs (for their own organizations) may review credentials.', OrganizationRole.ORG_ADMIN);

/**
 * `accessReview`: ACTIVE credentials issued at least `unusedForDays` days ago and not used since,
 * oldest first. Portal admins see every organization's; ORG_ADMINs those of the organizations they
 * administer; everyone else gets FORBIDDEN.
 */
export async function readAccessReview(
  em: EntityManager,
  caller: Caller,
  now: Date,
  args: AccessReviewArgs,
): Promise<ConnectionShape<AccessReviewEntry>> {
  const subject = caller.requireAuthenticated();
  checkUnusedForDays(args.unusedForDays, 'unusedForDays');
  const limit = pageSize(args.first);
  const after = args.after ? decodeCursor(args.after) : null;
  let wanted: string | null = null;
  if (args.organizationId !== undefined && args.organizationId !== null) {
    wanted = args.organizationId.toLowerCase();
    if (!isUuid(wanted)) throw badInput('organizationId', 'Give an organization id (a UUID).');
  }
  let organizationIds: string[] | null = wanted ? [wanted] : null;
  if (!caller.isPortalAdmin) {
    const administered = await administeredOrganizations(em, subject);
    if (!administered.length || (wanted && !administered.includes(wanted))) throw reviewRefusal();
    organizationIds = wanted ? [wanted] : administered;
  }
  const q: UnusedQuery = { now, unusedForDays: args.unusedForDays, organizationIds };
  const rows = await findUnusedCredentials(em, q, { after, limit: limit + 1 });
  const edges = rows.slice(0, limit).map((row) => ({ cursor: encodeCursor(new Date(row.created_at), row.id), node: entryOf(row) }));
  return {
    edges,
    pageInfo: Object.assign(new PageInfo(), {
      hasNextPage: rows.length > limit,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    }),
    totalCount: lazy(async () => (await countUnusedCredentials(em, q)).credentials),
  };
}

/** Clears a credential's scheduled revocation for want of use (the row only; the caller flushes). */
export function clearUnusedRevocation(credential: Credential): void {
  credential.unusedRevocationDueAt = null;
  credential.unusedRevocationScheduledAt = null;
  credential.unusedRevocationScheduledBy = null;
  credential.unusedRevocationReason = null;
}

/** Drops the queued revocation job of a credential. */
export async function cancelUnusedRevocationJob(em: EntityManager, credentialId: string): Promise<void> {
  await query(em, `select graphile_worker.remove_job(?)`, [unusedRevocationJobKey(credentialId)]);
}

export interface RevokeUnusedResult {
  scheduledCredentials: Credential[];
  revokeAt: Date | null;
}

/**
 * `revokeUnusedCredentials`: schedules the revocation of each credential `noticeDays` days from
 * now, after checking (in the transaction, rows locked) that the caller administers its
 * organization (portal admins: any), that it is ACTIVE and still unused for `unusedForDays`. Each
 * organization is told at once (CREDENTIAL_REVOCATION_SCHEDULED on `accessRequestEvents` and as a
 * webhook); the revocation is a job due at `revokeAt`. All or nothing. A credential scheduled already
 * keeps its schedule (no second notice).
 */
export async function revokeUnusedCredentials(
  ops: Ops,
  caller: Caller,
  subject: string,
  input: RevokeUnusedCredentialsInput,
): Promise<RevokeUnusedResult> {
  const { em, now } = ops;
  const reason = input.reason.trim();
  const ids = input.credentialIds.slice(0, MAX_REVOKE_BATCH + 1).map((id) => id.toLowerCase());
  // Who may act on which credential comes first: a caller who may not is refused whatever the input.
  const administered = caller.isPortalAdmin ? null : await administeredOrganizations(em, subject);
  if (administered && !administered.length) throw reviewRefusal();
  const credentials = ids.length
    ? await em.find(Credential, { id: { $in: ids } }, { orderBy: { id: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })
    : [];
  const byId = new Map(credentials.map((c) => [c.id, c]));
  // Another organization's credential is refused as a missing one would be: existence is not told.
  for (const id of ids) {
    const credential = byId.get(id);
    if (administered && (!credential || !administered.includes(credential.organizationId))) throw reviewRefusal();
  }
  const v = new Validation();
  v.check(ids.length >= 1 && ids.length <= MAX_REVOKE_BATCH, 'input.credentialIds', `Give 1 to ${MAX_REVOKE_BATCH} credential ids.`);
  v.check(new Set(ids).size === ids.length, 'input.credentialIds', 'Give each credential once.');
  v.check(
    Number.isInteger(input.unusedForDays) && input.unusedForDays >= 1 && input.unusedForDays <= MAX_UNUSED_DAYS,
    'input.unusedForDays',
    `Give a number of days from 1 to ${MAX_UNUSED_DAYS}.`,
  );
  v.check(
    Number.isInteger(input.noticeDays) && input.noticeDays >= 1 && input.noticeDays <= MAX_NOTICE_DAYS,
    'input.noticeDays',
    `Give 1 to ${MAX_NOTICE_DAYS} days of notice.`,
  );
  checkReason(v, reason, 'input.reason');
  v.done();

  const used = await lastUsedAt(em, ids);
  const cutoff = now.getTime() - input.unusedForDays * DAY_MS;
  ids.forEach((id, index) => {
    const field = `input.credentialIds[${index}]`;
    const credential = byId.get(id);
    if (!credential) {
      v.fail(field, 'No such credential.', 'NOT_FOUND');
      return;
    }
    if (effectiveCredentialStatus(credential, now) !== CredentialStatus.ACTIVE || credential.revokesAt !== null) {
      v.fail(
        field,
        'This credential is not ACTIVE (revoked, expired or rotated out): there is nothing to revoke.',
        'CREDENTIAL_NOT_ACTIVE',
      );
      return;
    }
    const last = used.get(id) ?? null;
    if (credential.createdAt.getTime() > cutoff || (last && last.getTime() >= cutoff)) {
      v.fail(
        field,
        last && last.getTime() >= cutoff
          ? `This credential was used on ${last.toISOString()}, within the last ${input.unusedForDays} days.`
          : `This credential was issued less than ${input.unusedForDays} days ago.`,
        'CREDENTIAL_IN_USE',
      );
    }
  });
  v.done();

  const revokeAt = new Date(now.getTime() + input.noticeDays * DAY_MS);
  const all = ids.map((id) => byId.get(id)!);
  // A credential scheduled already keeps its schedule: a retried call neither moves the date nor
  // notifies the organization twice.
  const scheduled = all.filter((credential) => credential.unusedRevocationDueAt === null);
  for (const credential of scheduled) {
    credential.unusedRevocationDueAt = revokeAt;
    credential.unusedRevocationScheduledAt = now;
    credential.unusedRevocationScheduledBy = subject;
    credential.unusedRevocationReason = reason;
    credential.updatedAt = now;
  }
  if (scheduled.length) await em.flush();
  for (const credential of scheduled) {
    await enqueueJob(
      em,
      JOB_TASKS.revokeUnusedCredential,
      { credentialId: credential.id, dueAt: revokeAt.toISOString() },
      { jobKey: unusedRevocationJobKey(credential.id), runAt: revokeAt },
    );
  }
  for (const credential of scheduled) {
    const last = used.get(credential.id) ?? null;
    await emitAccessEvent(ops.pubsub, em, {
      type: AccessRequestEventType.CREDENTIAL_REVOCATION_SCHEDULED,
      organizationId: credential.organizationId,
      accessRequestId: credential.accessRequestId,
      credentialId: credential.id,
      at: now,
      revocation: { revokeAt: revokeAt.toISOString(), reason, lastUsedAt: last ? last.toISOString() : null },
    });
  }
  const organizations = [...new Set(scheduled.map((c) => c.organizationId))].sort();
  for (const organizationId of organizations) {
    await appendAudit(em, 'developers', {
      action: 'revokeUnusedCredentials',
      change: 'CALL',
      targetType: 'Organization',
      targetId: organizationId,
      organizationId,
      after: {
        reason,
        revokeAt: revokeAt.toISOString(),
        unusedForDays: input.unusedForDays,
        credentialIds: scheduled.filter((c) => c.organizationId === organizationId).map((c) => c.id),
      },
    });
  }
  return { scheduledCredentials: all, revokeAt };
}

/**
 * `keepCredential`: calls off a credential's scheduled revocation for want of use. ORG_ADMINs of
 * its organization and portal admins; CREDENTIAL_REVOCATION_CANCELLED (reason KEPT) is published.
 */
export async function keepCredential(
  ops: Ops,
  caller: Caller,
  subject: string,
  input: KeepCredentialInput,
): Promise<{ credential: Credential }> {
  const { em, now } = ops;
  const id = input.credentialId.toLowerCase();
  const found = isUuid(id) ? await em.findOne(Credential, { id }) : null;
  if (!caller.isPortalAdmin) {
    const administered = await administeredOrganizations(em, subject);
    if (!found || !administered.includes(found.organizationId)) {
      throw forbidden('Only ORG_ADMINs of the credential’s organization and portal admins may keep it.', OrganizationRole.ORG_ADMIN);
    }
  }
  if (!found) throw refusal('NOT_FOUND', 'input.credentialId', 'No such credential.');
  const credential = await em.findOneOrFail(Credential, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  if (credential.unusedRevocationDueAt === null) {
    throw refusal('NOT_SCHEDULED', 'input.credentialId', 'No revocation is scheduled for this credential.');
  }
  clearUnusedRevocation(credential);
  credential.updatedAt = now;
  await em.flush();
  await cancelUnusedRevocationJob(em, credential.id);
  await emitAccessEvent(ops.pubsub, em, {
    type: AccessRequestEventType.CREDENTIAL_REVOCATION_CANCELLED,
    organizationId: credential.organizationId,
    accessRequestId: credential.accessRequestId,
    credentialId: credential.id,
    at: now,
    revocation: { reason: 'KEPT' },
  });
  return { credential };
}

// ---------------------------------------------------------------------------------------------
// The daily report

interface ReportRow {
  id: string;
  generated_at: Date;
  unused_for_days: number;
  credential_count: number;
  organization_count: number;
  entries: StoredEntry[] | string;
}

interface StoredEntry {
  credentialId: string;
  appId: string;
  organizationId: string;
  ownerSubject: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokeAt: string | null;
}

function reportOf(row: ReportRow): AccessReviewReport {
  const entries = (typeof row.entries === 'string' ? JSON.parse(row.entries) : row.entries) as StoredEntry[];
  return Object.assign(new AccessReviewReport(), {
    id: row.id,
    generatedAt: new Date(row.generated_at),
    createdAt: new Date(row.generated_at),
    unusedForDays: row.unused_for_days,
    credentialCount: row.credential_count,
    organizationCount: row.organization_count,
    truncated: entries.length < row.credential_count,
    entries: entries.map((e) =>
      Object.assign(new AccessReviewEntry(), {
        credentialId: e.credentialId,
        appId: e.appId,
        organizationId: e.organizationId,
        ownerSubject: e.ownerSubject,
        createdAt: new Date(e.createdAt),
        lastUsedAt: e.lastUsedAt ? new Date(e.lastUsedAt) : null,
        revokeAt: e.revokeAt ? new Date(e.revokeAt) : null,
      }),
    ),
  });
}

/**
 * Makes the day's access review report (at most one per UTC day of `now`): the credentials unused
 * for `unusedForDays` over all organizations, stored with their count, and announced to portal
 * admins' webhook endpoints (ACCESS_REVIEW_REPORT). Returns the report's id, or null when the day
 * has one already.
 */
export async function makeAccessReviewReport(em: EntityManager, now: Date, unusedForDays: number): Promise<string | null> {
  const q: UnusedQuery = { now, unusedForDays, organizationIds: null };
  const rows = await findUnusedCredentials(em, q, { after: null, limit: REPORT_MAX_ENTRIES });
  const counts = await countUnusedCredentials(em, q);
  const entries: StoredEntry[] = rows.map((row) => {
    const entry = entryOf(row);
    return {
      credentialId: entry.credentialId,
      appId: entry.appId,
      organizationId: entry.organizationId,
      ownerSubject: entry.ownerSubject,
      createdAt: entry.createdAt.toISOString(),
      lastUsedAt: entry.lastUsedAt?.toISOString() ?? null,
      revokeAt: entry.revokeAt?.toISOString() ?? null,
    };
  });
  const [inserted] = await query<{ id: string }>(
    em,
    `insert into developers.access_review_report (id, report_date, generated_at, unused_for_days, credential_count, organization_count, entries)
     values (?, (?::timestamptz at time zone 'UTC')::date, ?, ?, ?, ?, ?::jsonb)
     on conflict (report_date) do nothing
     returning id::text as id`,
    [randomUUID(), now.toISOString(), now.toISOString(), unusedForDays, counts.credentials, counts.organizations, JSON.stringify(entries)],
  );
  if (!inserted) return null;
  await appendAudit(em, 'developers', {
    action: JOB_TASKS.accessReviewReport,
    change: 'CREATE',
    targetType: 'AccessReviewReport',
    targetId: inserted.id,
    after: { unusedForDays, credentialCount: counts.credentials, organizationCount: counts.organizations },
  });
  await recordWebhookEvent(em, {
    type: 'ACCESS_REVIEW_REPORT',
    organizationId: null,
    occurredAt: now,
    data: {
      accessReviewReportId: inserted.id,
      unusedForDays,
      credentialCount: counts.credentials,
      organizationCount: counts.organizations,
    },
  });
  return inserted.id;
}

/** `accessReviewReports`: the daily reports, newest first. Portal admins only (checked by the resolver). */
export async function readAccessReviewReports(
  em: EntityManager,
  args: { first?: number | null; after?: string | null },
): Promise<ConnectionShape<AccessReviewReport>> {
  const limit = pageSize(args.first);
  const after = args.after ? decodeCursor(args.after) : null;
  const rows = await query<ReportRow>(
    em,
    `select id::text as id, generated_at, unused_for_days, credential_count, organization_count, entries
       from developers.access_review_report
      ${after ? 'where (generated_at, id) < (?::timestamptz, ?::uuid)' : ''}
      order by generated_at desc, id desc limit ?`,
    [...(after ? [after.createdAt.toISOString(), after.id] : []), limit + 1],
  );
  const edges = rows.slice(0, limit).map((row) => ({ cursor: encodeCursor(new Date(row.generated_at), row.id), node: reportOf(row) }));
  return {
    edges,
    pageInfo: Object.assign(new PageInfo(), {
      hasNextPage: rows.length > limit,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    }),
    totalCount: lazy(async () =>
      Number((await query<{ n: string }>(em, 'select count(*) as n from developers.access_review_report'))[0]?.n ?? 0),
    ),
  };
}
