import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { entityNow } from '../../../common/clock';
import { KEY_DESCRIPTION, MANAGED_BY_DESCRIPTION } from '../../../common/catalog-labels';

export enum CatalogVisibility {
  PUBLIC = 'PUBLIC',
  PRIVATE = 'PRIVATE',
}

registerEnumType(CatalogVisibility, {
  name: 'CatalogVisibility',
  description: 'Who may see a catalog and the products in it.',
  valuesConfig: {
    PUBLIC: { description: 'Everyone, anonymous visitors included.' },
    PRIVATE: { description: 'Only members of the organizations and teams in its audience (and portal admins).' },
  },
});

export const CATALOG_DESCRIPTION =
  'A set of products and plans offered to an audience: everyone (PUBLIC) or chosen organizations and teams (PRIVATE).';

@ObjectType({ description: CATALOG_DESCRIPTION })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'catalog' })
export class Catalog {
  [OptionalProps]?: 'id' | 'description' | 'createdAt' | 'updatedAt' | 'key' | 'managedBy';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'Unique name, 1–120 characters.' })
  @Property({ type: 'text', unique: 'catalog_name_key' })
  name!: string;

  @Field(() => String, { nullable: true, description: KEY_DESCRIPTION('catalog') })
  @Property({ type: 'text', nullable: true, unique: 'catalog_key_key' })
  key: string | null = null;

  @Field(() => String, { nullable: true, description: MANAGED_BY_DESCRIPTION })
  @Property({ type: 'text', nullable: true })
  managedBy: string | null = null;

  @Field(() => String, { description: 'Markdown description of the catalog (see `descriptionHtml` for safe HTML).' })
  @Property({ type: 'text' })
  description: string = '';

  @Field(() => CatalogVisibility, { description: 'PUBLIC (everyone) or PRIVATE (its audience only).' })
  @Enum({ items: () => CatalogVisibility })
  visibility!: CatalogVisibility;

  @Field(() => Date, { description: 'When the catalog was created.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the catalog last changed (name, description, visibility, audience or products).' })
  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}

/** One organization or team a PRIVATE catalog is offered to (exactly one of the two ids is set). */
@ObjectType({ description: "One member of a private catalog's audience: an organization or a team (exactly one of the ids is set)." })
@Entity({ tableName: 'catalog_audience' })
export class CatalogAudienceMember {
  [OptionalProps]?: 'id' | 'createdAt' | 'organizationId' | 'teamId';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  catalogId!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The organization whose active members see the catalog; null when this member is a team.',
  })
  @Property({ type: 'uuid', nullable: true })
  organizationId: string | null = null;

  @Field(() => ID, { nullable: true, description: 'The team whose members see the catalog; null when this member is an organization.' })
  @Property({ type: 'uuid', nullable: true })
  teamId: string | null = null;

  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;
}
