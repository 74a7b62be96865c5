import { Entity, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { Team } from './team';
import { entityNow } from '../../../common/clock';

/** One member of the organization in one team (table `team_member`). */
@ObjectType({ description: "A member of the team's organization who is in the team." })
@Entity({ tableName: 'team_member' })
export class TeamMember {
  [OptionalProps]?: 'id' | 'addedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Team, fieldName: 'team_id', deleteRule: 'cascade' })
  team!: Team;

  /** The organization this row belongs to (not a column): the audit log files the row's changes under it, so ORG_ADMINs see them in `auditLog`. */
  get organizationId(): string | null {
    return this.team?.organization?.id ?? null;
  }

  @Field(() => String, { description: 'Token subject (`sub` claim) of the member.' })
  @Property({ type: 'text' })
  subject!: string;

  @Field(() => Date, { description: 'When the member was added to the team.' })
  @Property({ type: 'timestamptz', fieldName: 'created_at', onCreate: entityNow })
  addedAt!: Date;
}
