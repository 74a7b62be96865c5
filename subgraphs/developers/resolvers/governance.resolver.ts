/**
 * Governance served by the developers subgraph (it knows who administers which organization):
 * the audit log (`auditLog`, `verifyAuditLog`) and the emergency revocation of every credential of
 * an organization (`revokeOrganizationCredentials`, step-up).
 */
import { Arg, Args, ArgsType, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import { GraphQLScalarType } from 'graphql';
import { JSONObjectResolver } from 'graphql-scalars';
import { LockMode } from '@mikro-orm/core';
import { appendAudit, verifyAuditChain } from '../../../common/audit';
import { badInput, UserError, forbidden } from '../../../common/errors';
import { Validation } from '../../../common/mutation';
import { connectionType, lazy, PageArgs, PageInfo, pageSize, type ConnectionShape } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { isUuid } from '../../../common/ids';
import { authorizeOrganization } from '../services/authorize';
import { Credential, StoredCredentialStatus } from '../entities/credential';
import { Organization } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { revokeNow } from '../services/credentials';
import type { Ops } from '../services/ops';
import { developerMutation } from '../profile';
import { checkReason } from '../validation';

/** Any JSON object (graphql-scalars' JSONObject): the audit entry's before/after state. */
export const JSONObject = new GraphQLScalarType({
  ...JSONObjectResolver.toConfig(),
  description: 'A JSON object, returned as it is (not as a string). Used for audit entries’ before/after state.',
});

export enum AuditChange {
  CREATE = 'CREATE',
  UPDATE = 'UPDATE',
  DELETE = 'DELETE',
  CALL = 'CALL',
}

registerEnumType(AuditChange, {
  name: 'AuditChange',
  description: 'What kind of write an audit entry records.',
  valuesConfig: {
    CREATE: { description: 'A row was created (`after` holds it).' },
    UPDATE: { description: 'A row changed (`before` holds the old values, `after` the changed ones).' },
    DELETE: { description: 'A row was deleted (`before` holds it).' },
    CALL: {
      description:
        'An operation outside the database: a write to a provider (`tyk.*`, `after.body` is the request body) or an operation record such as a bulk revocation’s reason.',
    },
  },
});

@ObjectType({
  description:
    'One entry of the tamper-evident audit log: who changed what, when, with the state before and after. Entries are append-only and hash-chained.',
})
export class AuditEntry {
  @Field(() => ID, { description: 'Position in the log (increasing; the chain follows it).' })
  id!: string;

  @Field(() => Date, { description: 'When the entry was written (in the transaction of the change).' })
  occurredAt!: Date;

  @Field(() => String, { description: 'The subgraph that made the change (`plans`, `provider`, …).' })
  subgraph!: string;

  @Field(() => String, {
    description:
      'Token subject of who made the change; `system` for jobs, `system:import` for provider imports, `anonymous` for signed-out callers.',
  })
  actor!: string;

  @Field(() => [String], { description: 'Platform roles of the actor at the time (e.g. `portal_admin`).' })
  actorRoles!: string[];

  @Field(() => String, {
    description:
      'The operation: the mutation’s root field(s) (`createPlan`), a job (`plans.importPolicy`) or a provider call (`tyk.createPolicy`).',
  })
  action!: string;

  @Field(() => AuditChange, { description: 'CREATE, UPDATE, DELETE or CALL.' })
  change!: AuditChange;

  @Field(() => String, {
    description: 'Kind of thing changed: an entity (`Plan`, `Credential`, …) or `TykPolicy`, `TykKey`, `TykGateway` for provider calls.',
  })
  targetType!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Id of the thing changed (for `TykKey`: Tyk’s key hash, never the key); null when unknown.',
  })
  targetId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The organization the change belongs to, when it belongs to one.' })
  organizationId!: string | null;

  @Field(() => JSONObject, {
    nullable: true,
    description: 'State before the change (secret-looking fields redacted); null for CREATE and most CALLs.',
  })
  before!: Record<string, unknown> | null;

  @Field(() => JSONObject, {
    nullable: true,
    description: 'State after the change, or the changed fields for UPDATE (secret-looking fields redacted); null for DELETE.',
  })
  after!: Record<string, unknown> | null;

  @Field(() => String, {
    nullable: true,
    description: 'Request id of the API call that made the change (quote it to support); null for jobs.',
  })
  requestId!: string | null;

  @Field(() => String, { description: 'SHA-256 (hex) over this entry and the previous entry’s hash.' })
  hash!: string;

  @Field(() => String, { description: 'Hash of the previous entry (`genesis` for the first).' })
  prevHash!: string;
}

export const AuditEntryConnection = connectionType(AuditEntry, 'AuditEntry', 'audit entry');

@InputType({ description: 'Filters for `auditLog` (all given filters must match).' })
export class AuditLogFilter {
  @Field(() => ID, { nullable: true, description: 'Only entries of this organization (ORG_ADMINs: one they administer).' })
  organizationId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Only entries by this actor (token subject, `system`, `system:import`; at most 255 characters).',
  })
  actor?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Only entries with exactly this action (e.g. `revokeCredential`, `tyk.deleteKey`; at most 255 characters).',
  })
  action?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Only entries about this kind of thing (e.g. `Credential`, `TykPolicy`; at most 255 characters).',
  })
  targetType?: string | null;

  @Field(() => String, { nullable: true, description: 'Only entries about the thing with this id (at most 255 characters).' })
  targetId?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only entries written at or after this time.' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only entries written before this time.' })
  to?: Date | null;
}

@ArgsType()
class AuditLogArgs extends PageArgs {
  @Field(() => AuditLogFilter, { nullable: true, description: 'Narrow the log.' })
  filter?: AuditLogFilter | null;
}

@ObjectType({ description: 'Result of checking the audit log’s hash chain.' })
export class AuditVerification {
  @Field(() => Boolean, {
    description: 'True when every entry’s hash and link to the previous entry match (nothing was altered, removed or reordered).',
  })
  valid!: boolean;

  @Field(() => Int, { description: 'How many entries were checked (the whole log).' })
  checkedEntries!: number;

  @Field(() => ID, { nullable: true, description: 'The first entry whose hash or link does not match; null when the chain holds.' })
  firstBrokenId!: string | null;

  @Field(() => String, { nullable: true, description: 'What is wrong with that entry; null when the chain holds.' })
  reason!: string | null;
}

@InputType({ description: 'Which organization’s credentials to revoke, and why.' })
export class RevokeOrganizationCredentialsInput {
  @Field(() => ID, { description: 'Organization id.' })
  organizationId!: string;

  @Field(() => String, { description: 'Why (1–1000 characters); recorded in the audit log.' })
  reason!: string;
}

@ObjectType({ description: 'Result of `revokeOrganizationCredentials`.' })
export class RevokeOrganizationCredentialsPayload {
  @Field(() => Organization, { nullable: true, description: 'The organization; null when `errors` is not empty.' })
  organization!: Organization | null;

  @Field(() => [Credential], {
    description: 'The credentials this call revoked (empty when none was ACTIVE, or when `errors` is not empty).',
  })
  revokedCredentials!: Credential[];

  @Field(() => [UserError], { description: 'Why nothing was revoked; empty on success.' })
  errors!: UserError[];
}

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
async function readableOrganizations(context: SubgraphContext, wanted: string | null): Promise<string[] | null> {
  if (context.caller.isPortalAdmin) return null;
  const subject = context.caller.requireAuthenticated();
  const administered = (await context.em.find(OrganizationMember, { subject, role: OrganizationRole.ORG_ADMIN })).map(
    (m) => m.organization.id,
  );
  const refusal = forbidden(
    'Only portal admins and ORG_ADMINs (for their own organizations) may read the audit log.',
    OrganizationRole.ORG_ADMIN,
  );
  if (!administered.length) throw refusal;
  if (wanted === null) return administered;
  if (!administered.includes(wanted)) throw refusal;
  return [wanted];
}

@Resolver()
export class GovernanceResolver {
  @Query(() => AuditEntryConnection, {
    description:
      'The audit log, newest first: every change made through the API or by jobs, and every write to a provider. Portal admins see every entry; ORG_ADMINs only entries of organizations they administer (the organization filter is forced to those); everyone else gets FORBIDDEN.',
  })
  async auditLog(@Args(() => AuditLogArgs) args: AuditLogArgs, @Ctx() context: SubgraphContext): Promise<ConnectionShape<AuditEntry>> {
    context.caller.requireAuthenticated();
    const filter = args.filter ?? {};
    let organizationId: string | null = null;
    if (filter.organizationId !== undefined && filter.organizationId !== null) {
      organizationId = filter.organizationId.trim().toLowerCase();
      if (!isUuid(organizationId)) throw badInput('filter.organizationId', 'Give an organization id (a UUID).');
    }
    const limit = pageSize(args.first);
    const afterId = args.after ? decodeCursor(args.after) : null;
    const organizations = await readableOrganizations(context, organizationId);

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
    const connection = context.em.getConnection();
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

  @Query(() => AuditVerification, {
    description:
      'Recomputes the audit log’s hash chain and reports the first entry that was altered, removed or reordered. Portal admins only.',
  })
  async verifyAuditLog(@Ctx() context: SubgraphContext): Promise<AuditVerification> {
    context.caller.requirePortalAdmin();
    return Object.assign(new AuditVerification(), await verifyAuditChain(context.em));
  }

  @Mutation(() => RevokeOrganizationCredentialsPayload, {
    description:
      'Emergency stop: revokes every ACTIVE credential of an organization in one transaction (their Tyk keys are deleted by the provider, CREDENTIAL_REVOKED is published for each) and records the reason in the audit log. Revoking again revokes nothing more. Portal admins only, with a token that asserts MFA (MFA_REQUIRED otherwise).',
  })
  async revokeOrganizationCredentials(
    @Arg('input', () => RevokeOrganizationCredentialsInput, { description: 'The organization and why.' })
    input: RevokeOrganizationCredentialsInput,
    @Ctx() context: SubgraphContext,
  ): Promise<RevokeOrganizationCredentialsPayload> {
    const subject = context.caller.requirePortalAdmin();
    context.caller.requireMfa('Revoking all credentials of an organization');
    return developerMutation<{ organization: Organization | null; revokedCredentials: Credential[] }>(
      context,
      async (em) => {
        const reason = input.reason.trim();
        const v = new Validation();
        checkReason(v, reason, 'input.reason');
        v.done();
        // Locks the organization: no credential is issued for it while this runs.
        const { organization } = await authorizeOrganization(
          context,
          em,
          input.organizationId,
          OrganizationRole.ORG_ADMIN,
          'input.organizationId',
        );
        const now = context.clock.now();
        const credentials = await em.find(
          Credential,
          { organizationId: organization.id, status: StoredCredentialStatus.ACTIVE },
          { orderBy: { createdAt: 'asc', id: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
        );
        const ops: Ops = { em, pubsub: context.pubsub, now, env: context.env };
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
      },
      () => ({ organization: null, revokedCredentials: [] }),
    );
  }
}
