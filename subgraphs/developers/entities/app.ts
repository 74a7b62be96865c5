import { Entity, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { Organization } from './organization';
import { Team } from './team';
import { TextArrayType } from '../../../common/db-types';
import { entityNow } from '../../../common/clock';

/**
 * An application of an organization (table `app`), optionally owned by one of its teams. Access
 * requests and credentials (a later phase) hang off apps.
 */
@ObjectType({ description: 'An application of an organization (optionally of one of its teams) that consumes APIs through credentials.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'app' })
export class App {
  [OptionalProps]?: 'id' | 'team' | 'description' | 'redirectUris' | 'createdAt' | 'updatedAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Exposed as `App.organization` by a field resolver (batched). */
  @ManyToOne({ entity: () => Organization, fieldName: 'organization_id', deleteRule: 'cascade' })
  organization!: Organization;

  /** The organization this row belongs to (not a column): the audit log files the row's changes under it, so ORG_ADMINs see them in `auditLog`. */
  get organizationId(): string | null {
    return this.organization?.id ?? null;
  }

  /** Exposed as `App.team` by a field resolver (batched). Always a team of `organization`. */
  @ManyToOne({ entity: () => Team, fieldName: 'team_id', nullable: true })
  team: Team | null = null;

  @Field(() => String, { description: 'Name, 1–120 characters, unique (case-insensitively) within the organization.' })
  @Property({ type: 'text' })
  name!: string;

  @Field(() => String, { description: 'What the app does, at most 2000 characters (may be empty).' })
  @Property({ type: 'text' })
  description: string = '';

  @Field(() => [String], {
    description: 'OAuth redirect URIs: absolute `https` URLs (or `http` for localhost / 127.0.0.1), without fragments; at most 10.',
  })
  @Property({ type: TextArrayType, columnType: 'text[]' })
  redirectUris: string[] = [];

  @Field(() => String, { description: 'Token subject of whoever created the app.' })
  @Property({ type: 'text' })
  createdBy!: string;

  @Field(() => Date, { description: 'When the app was created.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the app last changed.' })
  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}
