import { Entity, Enum, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { Organization } from './organization';
import { OrganizationRole } from './organization-member';
import { entityNow } from '../../../common/clock';

export enum InvitationStatus {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
}

registerEnumType(InvitationStatus, {
  name: 'InvitationStatus',
  description: 'Lifecycle of an invitation to join an organization.',
  valuesConfig: {
    PENDING: { description: 'Sent; the invitee may accept it until `expiresAt`.' },
    ACCEPTED: { description: 'The invitee accepted it and became a member.' },
    REVOKED: { description: 'An ORG_ADMIN or portal admin withdrew it before it was accepted.' },
    EXPIRED: { description: 'Nobody accepted it before `expiresAt`; invite again if needed.' },
  },
});

/** How long an invitation may be accepted. */
export const INVITATION_LIFETIME_SECONDS = 7 * 24 * 60 * 60;

/**
 * An invitation to join an organization (table `invitation`). `status` is stored; a PENDING
 * invitation whose `expiresAt` has passed is reported as EXPIRED (see `effectiveStatus`).
 * `email` is stored lowercased: invitations match the invitee's token email case-insensitively.
 */
@ObjectType({ description: 'An invitation for an email address to join an organization with a role.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'invitation' })
export class Invitation {
  [OptionalProps]?: 'id' | 'status' | 'createdAt' | 'acceptedBy' | 'acceptedAt' | 'revokedBy' | 'revokedAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Exposed as `Invitation.organization` by a field resolver (batched). */
  @ManyToOne({ entity: () => Organization, fieldName: 'organization_id', deleteRule: 'cascade' })
  organization!: Organization;

  /** The organization this row belongs to (not a column): the audit log files the row's changes under it, so ORG_ADMINs see them in `auditLog`. */
  get organizationId(): string | null {
    return this.organization?.id ?? null;
  }

  @Field(() => String, { description: 'Email address the invitation is for (lowercase). Whoever signs in with it may accept.' })
  @Property({ type: 'text' })
  email!: string;

  @Field(() => OrganizationRole, { description: 'Role the invitee gets on accepting.' })
  @Enum({ items: () => OrganizationRole })
  role!: OrganizationRole;

  /** Stored status; the GraphQL field `status` reports expired PENDING invitations as EXPIRED. */
  @Enum({ items: () => InvitationStatus })
  status: InvitationStatus = InvitationStatus.PENDING;

  @Field(() => String, { description: 'Token subject of whoever sent the invitation.' })
  @Property({ type: 'text' })
  invitedBy!: string;

  @Field(() => Date, { description: 'When the invitation was sent.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Field(() => Date, { description: 'Until when the invitation may be accepted (7 days after it was sent).' })
  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Field(() => String, { nullable: true, description: 'Token subject of whoever accepted it; null unless ACCEPTED.' })
  @Property({ type: 'text', nullable: true })
  acceptedBy: string | null = null;

  @Field(() => Date, { nullable: true, description: 'When it was accepted; null unless ACCEPTED.' })
  @Property({ type: 'timestamptz', nullable: true })
  acceptedAt: Date | null = null;

  @Field(() => String, { nullable: true, description: 'Token subject of whoever revoked it; null unless REVOKED.' })
  @Property({ type: 'text', nullable: true })
  revokedBy: string | null = null;

  @Field(() => Date, { nullable: true, description: 'When it was revoked; null unless REVOKED.' })
  @Property({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;
}

/** The status clients see: PENDING invitations past `expiresAt` are EXPIRED. */
export function effectiveStatus(invitation: Invitation, now: Date): InvitationStatus {
  if (invitation.status === InvitationStatus.PENDING && invitation.expiresAt.getTime() <= now.getTime()) return InvitationStatus.EXPIRED;
  return invitation.status;
}
