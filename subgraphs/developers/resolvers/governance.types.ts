/** GraphQL types of the governance operations: audit entries, their connection and filter, the bulk revocation. */
import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLScalarType } from 'graphql';
import { JSONObjectResolver } from 'graphql-scalars';
import { UserError } from '../../../common/errors';
import { connectionType, PageArgs } from '../../../common/relay';
import { Credential } from '../entities/credential';
import { Organization } from '../entities/organization';

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
export class AuditLogArgs extends PageArgs {
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
