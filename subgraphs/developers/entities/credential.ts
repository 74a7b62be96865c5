import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { TextArrayType } from '../../../common/db-types';
import { CredentialKind } from '../../../common/shared-enums';

export enum CredentialStatus {
  ACTIVE = 'ACTIVE',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
}

registerEnumType(CredentialStatus, {
  name: 'CredentialStatus',
  description: 'Whether a credential works.',
  valuesConfig: {
    ACTIVE: { description: 'Works (a rotated-out credential works until its `revokesAt`).' },
    REVOKED: { description: 'Revoked by a member or a portal admin, or at the end of its rotation grace period; it no longer works.' },
    EXPIRED: { description: 'Its `expiresAt` has passed (the plan’s key lifetime); it no longer works.' },
  },
});

/** What the table stores; EXPIRED is derived from `expiresAt`. */
export enum StoredCredentialStatus {
  ACTIVE = 'ACTIVE',
  REVOKED = 'REVOKED',
}

/** The description the provider subgraph repeats on its `Credential` stub (see the contract). */
export const CREDENTIAL_DESCRIPTION = 'An API key issued to an app for some products under a plan; its secret is shown once.';

/**
 * An API key of an app (table `credential`). Only the secret's sha256 hash is kept for good; the
 * encrypted copies (`pendingSecretEncrypted` for the provider, `revealSecretEncrypted` for the
 * one-time reveal) are cleared once used. None of them is a GraphQL field.
 */
@ObjectType({ description: CREDENTIAL_DESCRIPTION })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'credential' })
export class Credential {
  [OptionalProps]?:
    | 'id'
    | 'status'
    | 'pendingSecretEncrypted'
    | 'pendingSecretVersion'
    | 'revealSecretEncrypted'
    | 'secretRevealed'
    | 'expiresAt'
    | 'revokesAt'
    | 'revokedAt'
    | 'revokedBy'
    | 'replacesCredentialId'
    | 'approvedBy'
    | 'accessRequestId'
    | 'expiryWarnedFor'
    | 'expiryWarnedLeadSeconds'
    | 'kind'
    | 'clientId'
    | 'version';

  @Field(() => ID, { description: 'Stable identifier (UUID); stays the same when the plan changes.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  appId!: string;

  @Property({ type: 'uuid' })
  organizationId!: string;

  @Property({ type: 'uuid' })
  planId!: string;

  /** Sorted product ids. */
  @Property({ type: TextArrayType, columnType: 'uuid[]' })
  productIds!: string[];

  @Field(() => CredentialKind, {
    description: 'API_KEY (the secret is an API key) or OAUTH_CLIENT (the secret is the client secret of `clientId`).',
  })
  @Enum({ items: () => CredentialKind })
  kind: CredentialKind = CredentialKind.API_KEY;

  @Field(() => String, {
    nullable: true,
    description:
      'OAUTH_CLIENT only: the OAuth2 client id at the identity provider, once the client is registered (null until then, and for API keys). Not a secret.',
  })
  @Property({ type: 'text', nullable: true })
  clientId: string | null = null;

  @Field(() => String, {
    description:
      'API keys: the first 12 characters of the secret (`pgk_` and 8 more), to recognise the key; the rest is never shown again. OAuth2 clients: empty (they are recognised by `clientId`).',
  })
  @Property({ type: 'text' })
  prefix!: string;

  /** sha256 hex of the secret. Never exposed. */
  @Property({ type: 'text' })
  secretHash!: string;

  /** The provider's encrypted copy, until it has created the Tyk key. Never exposed. */
  @Property({ type: 'text', nullable: true })
  pendingSecretEncrypted: string | null = null;

  /** Credential version that carried `pendingSecretEncrypted` (keyIssued for it or later clears it). */
  @Property({ type: 'integer', nullable: true })
  pendingSecretVersion: number | null = null;

  /** The organization's encrypted copy for the one-time reveal after a manual approval. Never exposed. */
  @Property({ type: 'text', nullable: true })
  revealSecretEncrypted: string | null = null;

  @Field(() => Boolean, {
    description:
      'True once the secret was shown: in the `requestAccess` or `rotateCredential` result, or by `revealCredentialSecret`. It cannot be shown again.',
  })
  @Property({ type: 'boolean' })
  secretRevealed: boolean = false;

  /** Stored status; the GraphQL field reports EXPIRED / REVOKED by time (see `effectiveCredentialStatus`). */
  @Enum({ items: () => StoredCredentialStatus })
  status: StoredCredentialStatus = StoredCredentialStatus.ACTIVE;

  @Field(() => Date, {
    nullable: true,
    description: 'When the credential stops working (the plan’s key lifetime from issue); null = never.',
  })
  @Property({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;

  @Field(() => Date, {
    nullable: true,
    description: 'For a rotated-out credential: when its grace period ends and it is revoked; null otherwise.',
  })
  @Property({ type: 'timestamptz', nullable: true })
  revokesAt: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When it was revoked; null unless REVOKED.' })
  @Property({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  revokedBy: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  replacesCredentialId: string | null = null;

  /** Plan metadata plus DeveloperID, ApplicationID and OrganisationID; exposed as `metadata: [KeyValue!]!`. */
  @Property({ type: 'json', columnType: 'jsonb' })
  metadata!: Record<string, string>;

  /** Subject of the member whose access request it grants (the DeveloperID). */
  @Property({ type: 'text' })
  requestedBy!: string;

  /** Subject of the portal admin who approved it; null for automatic approvals and rotations. */
  @Property({ type: 'text', nullable: true })
  approvedBy: string | null = null;

  @Property({ type: 'text' })
  createdBy!: string;

  @Property({ type: 'uuid', nullable: true })
  accessRequestId: string | null = null;

  /** The `expiresAt` a CREDENTIAL_EXPIRING event was published for (the job runs once per expiry). */
  @Property({ type: 'timestamptz', nullable: true })
  expiryWarnedFor: Date | null = null;

  /** The lead time (seconds) of the last CREDENTIAL_EXPIRING stage published for `expiryWarnedFor`. */
  @Property({ type: 'integer', nullable: true })
  expiryWarnedLeadSeconds: number | null = null;

  /** When a revocation for want of use (`revokeUnusedCredentials`) is due; null when none is scheduled. */
  @Property({ type: 'timestamptz', nullable: true })
  unusedRevocationDueAt: Date | null = null;

  /** When that revocation was scheduled (use after it cancels the revocation). */
  @Property({ type: 'timestamptz', nullable: true })
  unusedRevocationScheduledAt: Date | null = null;

  /** Subject of who scheduled it. */
  @Property({ type: 'text', nullable: true })
  unusedRevocationScheduledBy: string | null = null;

  /** Why it was scheduled (shown to the organization). */
  @Property({ type: 'text', nullable: true })
  unusedRevocationReason: string | null = null;

  @Field(() => Date, { description: 'When the credential was issued.' })
  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;

  /** Bumps on every change the provider must apply (plan, products, metadata, status, expiry, revocation time). */
  @Property({ type: 'integer' })
  version: number = 1;
}

/**
 * The status clients see at `now`: REVOKED when revoked or past a rotation's `revokesAt`, EXPIRED
 * when past `expiresAt`, else ACTIVE.
 */
export function effectiveCredentialStatus(credential: Pick<Credential, 'status' | 'expiresAt' | 'revokesAt'>, now: Date): CredentialStatus {
  if (credential.status === StoredCredentialStatus.REVOKED) return CredentialStatus.REVOKED;
  if (credential.revokesAt && credential.revokesAt.getTime() <= now.getTime()) return CredentialStatus.REVOKED;
  if (credential.expiresAt && credential.expiresAt.getTime() <= now.getTime()) return CredentialStatus.EXPIRED;
  return CredentialStatus.ACTIVE;
}

export { CredentialKind };
