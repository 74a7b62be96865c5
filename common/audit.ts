import type { EntityManager, EventSubscriber, FlushEventArgs } from '@mikro-orm/core';
import { ChangeSetType } from '@mikro-orm/core';
import type { Caller } from './auth';

/**
 * Tamper-evident audit log (`platform.audit_log`, hash-chained and append-only by triggers; see
 * platform.ts). Every ORM write a mutation makes is recorded by `AuditSubscriber` in the same
 * transaction: actor, action (the mutation), target, before/after, request id. Other writes (raw
 * SQL, calls to Tyk) are recorded with `appendAudit`.
 */
export interface AuditActor {
  actor: string;
  roles: string[];
  requestId: string | null;
  /** Root mutation fields of the operation, e.g. `createPlan`. */
  action?: string;
}

export interface AuditEntryInput {
  action: string;
  change: 'CREATE' | 'UPDATE' | 'DELETE' | 'CALL';
  targetType: string;
  targetId: string | null;
  organizationId?: string | null;
  before?: unknown;
  after?: unknown;
}

const SECRET_KEY = /secret|password|hash|token|encrypted|private/i;

/** Copies a record without anything secret-looking; values are kept JSON-safe. */
export function redact(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (key.startsWith('__')) continue;
      out[key] = SECRET_KEY.test(key) ? '[redacted]' : redact(inner);
    }
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** The audit identity carried by a request's EntityManager (and every fork of it). */
export function auditActorOf(em: EntityManager): AuditActor | null {
  const context = em.getLoggerContext<{ audit?: AuditActor }>();
  return context?.audit ?? null;
}

export function auditLoggerContext(caller: Caller, requestId: string): { audit: AuditActor } {
  return { audit: { actor: caller.subject ?? 'anonymous', roles: [...caller.roles], requestId } };
}

export async function appendAudit(
  em: EntityManager,
  subgraph: string,
  entry: AuditEntryInput,
  actor: AuditActor | null = auditActorOf(em),
): Promise<void> {
  await em.getConnection().execute(
    `insert into platform.audit_log (subgraph, actor, actor_roles, action, change, target_type, target_id, organization_id, before, after, request_id, prev_hash, hash)
     values (?, ?, ?::text[], ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, '', '')`,
    [
      subgraph,
      actor?.actor ?? 'system',
      `{${(actor?.roles ?? []).map((r) => `"${r.replace(/[\\"]/g, '')}"`).join(',')}}`,
      entry.action,
      entry.change,
      entry.targetType,
      entry.targetId,
      entry.organizationId ?? null,
      entry.before === undefined || entry.before === null ? null : JSON.stringify(redact(entry.before)),
      entry.after === undefined || entry.after === null ? null : JSON.stringify(redact(entry.after)),
      actor?.requestId ?? null,
    ],
    'run',
    em.getTransactionContext(),
  );
}

const CHANGE: Partial<Record<ChangeSetType, AuditEntryInput['change']>> = {
  [ChangeSetType.CREATE]: 'CREATE',
  [ChangeSetType.UPDATE]: 'UPDATE',
  [ChangeSetType.DELETE]: 'DELETE',
  [ChangeSetType.UPDATE_EARLY]: 'UPDATE',
  [ChangeSetType.DELETE_EARLY]: 'DELETE',
};

/**
 * Records every entity change of a flush made on behalf of a request (one entry per changed
 * entity), inside the flush's transaction. Flushes without a request (jobs) are recorded as
 * `system` only when they run inside a transaction too.
 */
export class AuditSubscriber implements EventSubscriber {
  constructor(private readonly subgraph: string) {}

  async afterFlush({ em, uow }: FlushEventArgs): Promise<void> {
    const actor = auditActorOf(em);
    for (const changeSet of uow.getChangeSets()) {
      const change = CHANGE[changeSet.type];
      if (!change) continue;
      const entity = changeSet.entity as Record<string, unknown>;
      const related = entity.organization as { id?: unknown } | undefined;
      const organizationId =
        (typeof entity.organizationId === 'string' && entity.organizationId) ||
        (related && typeof related.id === 'string' && related.id) ||
        (changeSet.name === 'Organization' && typeof entity.id === 'string' && entity.id) ||
        null;
      await appendAudit(
        em as EntityManager,
        this.subgraph,
        {
          action: actor?.action ?? `${changeSet.name}.${change.toLowerCase()}`,
          change,
          targetType: changeSet.name,
          targetId: changeSet.getSerializedPrimaryKey(),
          organizationId,
          before: change === 'CREATE' ? null : (changeSet.originalEntity ?? null),
          after: change === 'DELETE' ? null : change === 'UPDATE' ? changeSet.payload : changeSet.payload,
        },
        actor,
      );
    }
  }
}

export interface AuditVerification {
  valid: boolean;
  checkedEntries: number;
  /** Id of the first entry whose hash or link does not match; null when the chain holds. */
  firstBrokenId: string | null;
  reason: string | null;
}

/** Recomputes the whole chain in the database and reports the first broken link. */
export async function verifyAuditChain(em: EntityManager): Promise<AuditVerification> {
  const rows = await em.getConnection().execute<{ id: string; ok_hash: boolean; ok_link: boolean; total: string }[]>(
    `with chain as (
       select a.id, a.hash = platform.audit_entry_hash(a) as ok_hash,
              a.prev_hash = coalesce(lag(a.hash) over (order by a.id), 'genesis') as ok_link
         from platform.audit_log a
     )
     select (select count(*) from chain) as total, id, ok_hash, ok_link
       from chain where not ok_hash or not ok_link order by id limit 1`,
  );
  const total = await em.getConnection().execute<{ total: string }[]>('select count(*) as total from platform.audit_log');
  const checkedEntries = Number(total[0]?.total ?? 0);
  const broken = rows[0];
  if (!broken) return { valid: true, checkedEntries, firstBrokenId: null, reason: null };
  return {
    valid: false,
    checkedEntries,
    firstBrokenId: String(broken.id),
    reason: !broken.ok_hash
      ? 'the entry was changed after it was written'
      : 'the link to the previous entry is broken (an entry was removed or reordered)',
  };
}
