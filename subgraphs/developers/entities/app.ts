import { Entity, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { Organization } from './organization';
import { Team } from './team';
import { TextArrayType } from '../../../common/db-types';
import { entityNow } from '../../../common/clock';

/**
 * Who among an organization's members may see and use an app (column `app.visibility`). ORG_ADMINs
 * of the organization and portal admins always may; the rule is applied by the `visible…` reads of
 * `../data/loaders.ts` and by `memberMaySeeApp` in `../services/authorize.ts` for mutations.
 */
export enum AppVisibility {
  PERSONAL = 'PERSONAL',
  TEAM = 'TEAM',
  ORGANIZATION = 'ORGANIZATION',
}

registerEnumType(AppVisibility, {
  name: 'AppVisibility',
  description: "Which members of the app's organization may see and use the app. Its ORG_ADMINs and portal admins always may.",
  valuesConfig: {
    PERSONAL: { description: 'Only the member who created the app (and the ORG_ADMINs).' },
    TEAM: { description: "Only the members of the app's team (and the ORG_ADMINs); the app must belong to a team." },
    ORGANIZATION: { description: 'Every member of the organization (the default).' },
  },
});

/**
 * An application of an organization (table `app`), optionally owned by one of its teams. Access
 * requests and credentials (a later phase) hang off apps.
 */
@ObjectType({ description: 'An application of an organization (optionally of one of its teams) that consumes APIs through credentials.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'app' })
export class App {
  [OptionalProps]?: 'id' | 'team' | 'description' | 'redirectUris' | 'visibility' | 'createdAt' | 'updatedAt';

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

  @Field(() => AppVisibility, {
    description: 'Which members of the organization may see and use the app (its ORG_ADMINs and portal admins always may).',
  })
  @Property({ type: 'text' })
  visibility: AppVisibility = AppVisibility.ORGANIZATION;

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
