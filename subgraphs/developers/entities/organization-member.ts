import { Entity, Enum, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { Organization } from './organization';
import { entityNow } from '../../../common/clock';

export enum OrganizationRole {
  ORG_ADMIN = 'ORG_ADMIN',
  MEMBER = 'MEMBER',
}

registerEnumType(OrganizationRole, {
  name: 'OrganizationRole',
  description: 'What a member may do in an organization. Kept in the database, never taken from the token.',
  valuesConfig: {
    ORG_ADMIN: { description: 'Manages the organization: its members, teams, apps and access requests.' },
    MEMBER: { description: 'Works with the apps and credentials of the organization.' },
  },
});

/** One subject's membership of one organization (table `organization_member`). */
@ObjectType({ description: 'A person (token subject) who belongs to an organization, with their role in it.' })
@Entity({ tableName: 'organization_member' })
export class OrganizationMember {
  [OptionalProps]?: 'id' | 'createdAt';

  @Field(() => ID, { description: 'Stable identifier of the membership (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The organization; exposed as `OrganizationMember.organization` by a field resolver. */
  @ManyToOne({ entity: () => Organization, fieldName: 'organization_id', deleteRule: 'cascade' })
  organization!: Organization;

  /** The organization this row belongs to (not a column): the audit log files the row's changes under it, so ORG_ADMINs see them in `auditLog`. */
  get organizationId(): string | null {
    return this.organization?.id ?? null;
  }

  @Field(() => String, { description: 'Token subject (`sub` claim) of the member.' })
  @Property({ type: 'text' })
  subject!: string;

  @Field(() => OrganizationRole, { description: 'Role of the member in the organization.' })
  @Enum({ items: () => OrganizationRole })
  role!: OrganizationRole;

  @Field(() => Date, { description: 'When the subject joined the organization.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;
}
