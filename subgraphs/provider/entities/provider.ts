import { TextArrayType } from '../../../common/db-types';
import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { entityNow } from '../../../common/clock';

export enum ProviderKind {
  TYK_GATEWAY = 'TYK_GATEWAY',
  TYK_DASHBOARD = 'TYK_DASHBOARD',
}

registerEnumType(ProviderKind, {
  name: 'ProviderKind',
  description: 'Which Tyk API the portal talks to for this provider.',
  valuesConfig: {
    TYK_GATEWAY: {
      description:
        'Tyk Gateway (open source) management API under `/tyk/`, authenticated with the gateway secret in the `x-tyk-authorization` header.',
    },
    TYK_DASHBOARD: {
      description: 'Tyk Dashboard API under `/api/`, authenticated with a Dashboard user API credential in the `authorization` header.',
    },
  },
});

export enum ProviderHealthStatus {
  UNKNOWN = 'UNKNOWN',
  HEALTHY = 'HEALTHY',
  FAILING = 'FAILING',
}

registerEnumType(ProviderHealthStatus, {
  name: 'ProviderHealthStatus',
  description: 'How the latest call from the portal to a provider went.',
  valuesConfig: {
    UNKNOWN: { description: 'The portal has not called this provider yet.' },
    HEALTHY: { description: 'The latest call succeeded.' },
    FAILING: { description: 'The latest call failed; see `lastError`.' },
  },
});

/** Health of a provider as the portal last saw it; derived from the provider's health columns. */
@ObjectType({
  description:
    'How calls from the portal to a provider have been going. Has no id: it is a value of its provider, not an entity; normalising client caches keep it inside its parent and merge two selections of it (see docs/CLIENTS.md).',
})
export class ProviderHealth {
  @Field(() => ProviderHealthStatus, {
    description: 'UNKNOWN before the first call, HEALTHY when the latest call succeeded, FAILING when it failed.',
  })
  status!: ProviderHealthStatus;

  @Field(() => Date, { nullable: true, description: 'When a call to the provider last succeeded; null if never.' })
  lastSuccessAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When a call to the provider last failed; null if never.' })
  lastErrorAt!: Date | null;

  @Field(() => String, { nullable: true, description: "The provider's message for the latest failure; null if none." })
  lastError!: string | null;
}

/** Tags that mark portal-owned policies when an admin gives none. */
export const DEFAULT_POLICY_TAGS: readonly string[] = ['plangraph'];

/**
 * A Tyk installation the portal writes plans (as policies) and access (as keys) to. The admin
 * secret is stored only AES-256-GCM encrypted and is never exposed through GraphQL.
 */
@ObjectType({
  description:
    'A Tyk Gateway or Dashboard the portal writes plans (as Tyk policies) and approved access (as Tyk keys) to. Portal admins only; its secret is never returned.',
})
@Directive('@key(fields: "id")')
@Entity({ tableName: 'provider' })
export class Provider {
  [OptionalProps]?: 'id' | 'policyTags' | 'isDefault' | 'lastSuccessAt' | 'lastErrorAt' | 'lastError' | 'createdAt' | 'updatedAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'Unique name shown to portal admins (`production-eu`), 1–80 characters.' })
  @Property({ type: 'text', unique: 'provider_name_key' })
  name!: string;

  @Field(() => ProviderKind, {
    description: 'Whether this is a Tyk Gateway or a Tyk Dashboard, which decides the API and auth header used.',
  })
  @Enum({ items: () => ProviderKind })
  kind!: ProviderKind;

  @Field(() => String, {
    description:
      'Absolute http(s) URL of the Tyk Gateway control API or the Tyk Dashboard, without query, fragment or trailing slash (e.g. `https://tyk.example.com:8080`).',
  })
  @Property({ type: 'text' })
  baseUrl!: string;

  @Field(() => String, { description: 'Tyk organization id that policies and keys are written under (`org_id`).' })
  @Property({ type: 'text' })
  tykOrgId!: string;

  @Field(() => [String], { description: 'Tags that mark the Tyk policies this portal owns (default `["plangraph"]`).' })
  @Property({ type: TextArrayType, columnType: 'text[]' })
  policyTags: string[] = [...DEFAULT_POLICY_TAGS];

  /** AES-256-GCM ciphertext of the admin secret (`common/crypto.ts`). Never a GraphQL field, never logged. */
  @Property({ type: 'text', hidden: true })
  secretEncrypted!: string;

  /** Id of the encryption key that sealed `secretEncrypted` (for key rotation). */
  @Property({ type: 'text', hidden: true })
  secretKeyId!: string;

  @Field(() => Boolean, { description: 'True for the one provider new plans and keys go to unless another is chosen.' })
  @Property({ type: 'boolean' })
  isDefault: boolean = false;

  /** When a call to the provider last succeeded (exposed through `health`). */
  @Property({ type: 'timestamptz', nullable: true })
  lastSuccessAt: Date | null = null;

  /** When a call to the provider last failed (exposed through `health`). */
  @Property({ type: 'timestamptz', nullable: true })
  lastErrorAt: Date | null = null;

  /** The provider's message for the latest failure (exposed through `health`). */
  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Field(() => Date, { description: 'When the provider was registered.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the provider last changed.' })
  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}

/** Derives the health status from the latest success and error times. */
export function healthOf(provider: Pick<Provider, 'lastSuccessAt' | 'lastErrorAt' | 'lastError'>): ProviderHealth {
  const { lastSuccessAt, lastErrorAt, lastError } = provider;
  let status = ProviderHealthStatus.UNKNOWN;
  if (lastErrorAt && (!lastSuccessAt || lastErrorAt.getTime() >= lastSuccessAt.getTime())) status = ProviderHealthStatus.FAILING;
  else if (lastSuccessAt) status = ProviderHealthStatus.HEALTHY;
  return Object.assign(new ProviderHealth(), { status, lastSuccessAt, lastErrorAt, lastError });
}
