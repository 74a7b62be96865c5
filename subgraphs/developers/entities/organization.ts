import { Collection, Entity, Enum, OneToMany, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { OrganizationMember } from './organization-member';
import { entityNow } from '../../../common/clock';

export enum OrganizationStatus {
  PENDING = 'PENDING',
  ACTIVE = 'ACTIVE',
  REJECTED = 'REJECTED',
  SUSPENDED = 'SUSPENDED',
}

registerEnumType(OrganizationStatus, {
  name: 'OrganizationStatus',
  description: 'Lifecycle of an organization: only ACTIVE organizations may create apps and request access.',
  valuesConfig: {
    PENDING: { description: 'Requested by a developer; waiting for a portal admin to approve it.' },
    ACTIVE: { description: 'Approved; its members may work with apps and credentials.' },
    REJECTED: { description: 'A portal admin turned the request down.' },
    SUSPENDED: { description: 'Blocked by a portal admin; its credentials stop working.' },
  },
});

/** An organization: the unit that owns apps and credentials and whose members share access. */
@ObjectType({ description: 'A company or team of developers that uses the portal; it owns apps and credentials.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'organization' })
export class Organization {
  [OptionalProps]?: 'id' | 'status' | 'createdAt' | 'updatedAt' | 'members' | 'decidedBy' | 'decidedAt' | 'decisionReason';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'Display name, 1–120 characters.' })
  @Property({ type: 'text' })
  name!: string;

  @Field(() => String, { description: 'Unique, URL-safe name used in portal links (`acme-corp`).' })
  @Property({ type: 'text', unique: 'organization_slug_key' })
  slug!: string;

  @Field(() => OrganizationStatus, { description: 'Lifecycle status.' })
  @Enum({ items: () => OrganizationStatus })
  status: OrganizationStatus = OrganizationStatus.ACTIVE;

  /** Subject of whoever created it; exposed to portal admins only (see `Organization.createdBy`). */
  @Property({ type: 'text' })
  createdBy!: string;

  /**
   * The latest status decision (approval, rejection, suspension, reactivation, or creation by a
   * portal admin): who made it, when and why. Exposed to portal admins and the organization's
   * ORG_ADMINs only (see the `Organization.decided*` field resolvers).
   */
  @Property({ type: 'text', nullable: true })
  decidedBy: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  decidedAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  decisionReason: string | null = null;

  @Field(() => Date, { description: 'When the organization was created.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the organization last changed.' })
  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;

  /**
   * Membership rows, for filtering (`{ members: { subject } }`) only. The GraphQL field
   * `Organization.members` is resolved by a batched loader with its own authorisation.
   */
  @OneToMany({ entity: () => OrganizationMember, mappedBy: 'organization' })
  members = new Collection<OrganizationMember>(this);
}
