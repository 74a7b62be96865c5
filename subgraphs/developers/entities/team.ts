import { Collection, Entity, ManyToOne, OneToMany, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { Organization } from './organization';
import { TeamMember } from './team-member';
import { entityNow } from '../../../common/clock';

/** A named group of an organization's members (table `team`); apps may belong to one. */
@ObjectType({ description: "A named group of an organization's members; apps may belong to a team and catalogs may be shown to one." })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'team' })
export class Team {
  [OptionalProps]?: 'id' | 'createdAt' | 'updatedAt' | 'members';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Exposed as `Team.organization` by a field resolver (batched). */
  @ManyToOne({ entity: () => Organization, fieldName: 'organization_id', deleteRule: 'cascade' })
  organization!: Organization;

  /** The organization this row belongs to (not a column): the audit log files the row's changes under it, so ORG_ADMINs see them in `auditLog`. */
  get organizationId(): string | null {
    return this.organization?.id ?? null;
  }

  @Field(() => String, { description: 'Name, 1–120 characters, unique within the organization.' })
  @Property({ type: 'text' })
  name!: string;

  @Field(() => Date, { description: 'When the team was created.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the team last changed.' })
  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;

  /**
   * Membership rows, for filtering (`{ team: { members: { subject } } }`, the TEAM app visibility)
   * only. The GraphQL field `Team.members` is resolved by a batched loader.
   */
  @OneToMany({ entity: () => TeamMember, mappedBy: 'team' })
  members = new Collection<TeamMember>(this);
}
