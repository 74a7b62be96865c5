/**
 * The governance use cases: reading the audit log (`auditLog`) and the emergency revocation of
 * every credential of an organization (`revokeOrganizationCredentials`).
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../../../common/auth';
import { appendAudit } from '../../../common/audit';
import { badInput, forbidden } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { Validation } from '../../../common/mutation';
import { lazy, PageInfo, pageSize, type ConnectionShape } from '../../../common/relay';
import { Credential, StoredCredentialStatus } from '../entities/credential';
import type { Organization } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { AuditEntry, type AuditChange, type AuditLogArgs } from '../resolvers/governance.types';
import { checkReason } from './validation';
import { authorizeOrganization } from './authorize';
import { revokeNow } from './credentials';
import type { Ops } from '../../../common/ops';

interface AuditRow {
  id: string;
  occurred_at: Date;
  subgraph: string;
  actor: string;
  actor_roles: string[];
  action: string;
  change: AuditChange;
  target_type: string;
  target_id: string | null;
  organization_id: string | null;
  before: unknown;
  after: unknown;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

const asObject = (value: unknown): Record<string, unknown> | null => {
  if (value === null || value === undefined) return null;
  const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (parsed === null) return null;
  return typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
};

function entryOf(row: AuditRow): AuditEntry {
  return Object.assign(new AuditEntry(), {
    id: String(row.id),
    occurredAt: new Date(row.occurred_at),
    subgraph: row.subgraph,
    actor: row.actor,
    actorRoles: row.actor_roles ?? [],
    action: row.action,
    change: row.change,
    targetType: row.target_type,
    targetId: row.target_id,
    organizationId: row.organization_id,
    before: asObject(row.before),
    after: asObject(row.after),
    requestId: row.request_id,
    hash: row.hash,
    prevHash: row.prev_hash,
  });
}

const encodeCursor = (id: string) => Buffer.from(`audit:${id}`, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const match = /^audit:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw badInput('after', 'The cursor is not valid: pass a `pageInfo.endCursor` from an earlier page.');
  return match[1]!;
}

const MAX_TEXT_FILTER = 255;

/**
 * The organizations whose entries the caller may read: all (null) for portal admins; for an
 * ORG_ADMIN the organizations they administer (narrowed to the filter's); FORBIDDEN otherwise.
 */
async function readableOrganizations(em: EntityManager, caller: Caller, wanted: string | null): Promise<string[] | null> {
  if (caller.isPortalAdmin) return null;
  const subject = caller.requireAuthenticated();
  const administered = (await em.find(OrganizationMember, { subject, role: OrganizationRole.ORG_ADMIN })).map((m) => m.organization.id);
  const refusal = forbidden(
    'Only portal admins and ORG_ADMINs (for their own organizations) may read the audit log.',
    OrganizationRole.ORG_ADMIN,
  );
  if (!administered.length) throw refusal;
  if (wanted === null) return administered;
  if (!administered.includes(wanted)) throw refusal;
  return [wanted];
}

/**
 * `auditLog`: the entries the caller may read (portal admins all, ORG_ADMINs those of the
 * organizations they administer), newest first, filtered and paged by id.
 */
export async function readAuditLog(em: EntityManager, caller: Caller, args: AuditLogArgs): Promise<ConnectionShape<AuditEntry>> {
  caller.requireAuthenticated();
  const filter = args.filter ?? {};
  let organizationId: string | null = null;
  if (filter.organizationId !== undefined && filter.organizationId !== null) {
    organizationId = filter.organizationId.trim().toLowerCase();
    if (!isUuid(organizationId)) throw badInput('filter.organizationId', 'Give an organization id (a UUID).');
  }
  const limit = pageSize(args.first);
  const afterId = args.after ? decodeCursor(args.after) : null;
  const organizations = await readableOrganizations(em, caller, organizationId);

  const conditions: string[] = [];
  const params: unknown[] = [];
  if (organizations) {
    conditions.push('organization_id in (?)');
    params.push(organizations);
  } else if (organizationId) {
    conditions.push('organization_id = ?');
    params.push(organizationId);
  }
  const text = { actor: 'actor', action: 'action', targetType: 'target_type', targetId: 'target_id' } as const;
  for (const [field, column] of Object.entries(text) as [keyof typeof text, string][]) {
    const value = filter[field];
    if (value === undefined || value === null) continue;
    if (value.length > MAX_TEXT_FILTER) throw badInput(`filter.${field}`, `Give at most ${MAX_TEXT_FILTER} characters.`);
    conditions.push(`${column} = ?`);
    params.push(value);
  }
  if (filter.from) {
    conditions.push('occurred_at >= ?');
    params.push(filter.from);
  }
  if (filter.to) {
    conditions.push('occurred_at < ?');
    params.push(filter.to);
  }
  const where = conditions.length ? `where ${conditions.join(' and ')}` : '';
  const connection = em.getConnection();
  const pageWhere = afterId ? `${where ? `${where} and` : 'where'} id < ?` : where;
  const rows = await connection.execute<AuditRow[]>(
    `select id, occurred_at, subgraph, actor, actor_roles, action, change, target_type, target_id, organization_id::text as organization_id,
            before, after, request_id, prev_hash, hash
       from platform.audit_log ${pageWhere} order by id desc limit ?`,
    [...params, ...(afterId ? [afterId] : []), limit + 1],
  );
  const edges = rows.slice(0, limit).map((row) => ({ cursor: encodeCursor(String(row.id)), node: entryOf(row) }));
  return {
    edges,
    pageInfo: Object.assign(new PageInfo(), {
      hasNextPage: rows.length > limit,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    }),
    totalCount: lazy(async () =>
      Number((await connection.execute<{ n: string }[]>(`select count(*) as n from platform.audit_log ${where}`, params))[0]?.n ?? 0),
    ),
  };
}

export interface RevokeOrganizationCredentialsCommand {
  organizationId: string;
  reason: string;
}

/**
 * `revokeOrganizationCredentials`: every ACTIVE credential of the organization, in one transaction,
 * with the reason in the audit log. Portal admins with MFA only (checked by the caller: `subject`).
 */
export async function revokeOrganizationCredentials(
  ops: Ops,
  caller: Caller,
  subject: string,
  input: RevokeOrganizationCredentialsCommand,
): Promise<{ organization: Organization | null; revokedCredentials: Credential[] }> {
  const { em } = ops;
  const reason = input.reason.trim();
  const v = new Validation();
  checkReason(v, reason, 'input.reason');
  v.done();
  // Locks the organization: no credential is issued for it while this runs.
  const { organization } = await authorizeOrganization(
    { caller },
    em,
    input.organizationId,
    OrganizationRole.ORG_ADMIN,
    'input.organizationId',
  );
  const credentials = await em.find(
    Credential,
    { organizationId: organization.id, status: StoredCredentialStatus.ACTIVE },
    { orderBy: { createdAt: 'asc', id: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
  );
  const revoked: Credential[] = [];
  for (const credential of credentials) if (await revokeNow(ops, credential, subject)) revoked.push(credential);
  await appendAudit(em, 'developers', {
    action: 'revokeOrganizationCredentials',
    change: 'CALL',
    targetType: 'Organization',
    targetId: organization.id,
    organizationId: organization.id,
    after: { reason, revokedCredentialIds: revoked.map((c) => c.id) },
  });
  return { organization, revokedCredentials: revoked };
}
