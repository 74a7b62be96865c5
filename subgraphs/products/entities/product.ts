import { TextArrayType } from '../../../common/db-types';
import { Collection, Entity, Enum, ManyToMany, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { KeyValue } from '../../../common/key-value';
import { Catalog } from './catalog';
import { entityNow } from '../../../common/clock';
import { MANAGED_BY_DESCRIPTION } from '../../../common/catalog-labels';

export enum ProductStatus {
  DRAFT = 'DRAFT',
  PUBLISHED = 'PUBLISHED',
  ARCHIVED = 'ARCHIVED',
}

registerEnumType(ProductStatus, {
  name: 'ProductStatus',
  description: 'Lifecycle of a product: only PUBLISHED products are shown to developers.',
  valuesConfig: {
    DRAFT: { description: 'Being prepared; visible to portal admins only.' },
    PUBLISHED: { description: 'Offered in the catalogs it belongs to; needs at least one Tyk API id.' },
    ARCHIVED: { description: 'No longer offered and no longer editable; existing access keeps working until revoked.' },
  },
});

export enum DocumentationFormat {
  MARKDOWN = 'MARKDOWN',
  URL = 'URL',
}

registerEnumType(DocumentationFormat, {
  name: 'DocumentationFormat',
  description: "How a product's documentation is given.",
  valuesConfig: {
    MARKDOWN: { description: 'Markdown text stored with the product (rendered as safe HTML too).' },
    URL: { description: 'A link to documentation hosted elsewhere (absolute http or https URL).' },
  },
});

export const PRODUCT_DESCRIPTION = 'What an API offers: a named bundle of Tyk APIs that plans grant access to.';

@ObjectType({ description: PRODUCT_DESCRIPTION })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'product' })
export class Product {
  [OptionalProps]?:
    | 'id'
    | 'description'
    | 'status'
    | 'createdAt'
    | 'updatedAt'
    | 'tykApiIds'
    | 'tags'
    | 'customFields'
    | 'documentationFormat'
    | 'documentationBody'
    | 'version'
    | 'managedBy';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'Unique, URL-safe name used in portal links (`payments-api`).' })
  @Property({ type: 'text', unique: 'product_slug_key' })
  slug!: string;

  @Field(() => String, { description: 'Internal name, 1–120 characters.' })
  @Property({ type: 'text' })
  name!: string;

  @Field(() => String, { description: 'Name shown to developers in the portal, 1–120 characters.' })
  @Property({ type: 'text' })
  displayName!: string;

  @Field(() => String, { description: 'Markdown description of what the product offers (see `descriptionHtml` for safe HTML).' })
  @Property({ type: 'text' })
  description: string = '';

  @Field(() => [String], { description: 'Ids of the Tyk APIs this product grants access to (at most 50).' })
  @Property({ type: TextArrayType, columnType: 'text[]' })
  tykApiIds: string[] = [];

  @Field(() => [String], { description: 'Lowercase tags for grouping and search (at most 20).' })
  @Property({ type: TextArrayType, columnType: 'text[]' })
  tags: string[] = [];

  @Field(() => [KeyValue], { description: 'Free-form key/value pairs shown with the product (at most 30, unique keys).' })
  @Property({ type: 'json', columnType: 'jsonb' })
  customFields: KeyValue[] = [];

  /** MARKDOWN or URL; null when the product has no documentation. Exposed through `documentation`. */
  @Property({ type: 'text', nullable: true })
  documentationFormat: DocumentationFormat | null = null;

  /** The Markdown text or the URL, by `documentationFormat`. Exposed through `documentation`. */
  @Property({ type: 'text', fieldName: 'documentation', nullable: true })
  documentationBody: string | null = null;

  @Field(() => ProductStatus, { description: 'Lifecycle status.' })
  @Enum({ items: () => ProductStatus })
  status: ProductStatus = ProductStatus.DRAFT;

  @Field(() => String, { nullable: true, description: MANAGED_BY_DESCRIPTION })
  @Property({ type: 'text', nullable: true })
  managedBy: string | null = null;

  @Field(() => Int, {
    description:
      'Starts at 1 and grows by 1 with every change (catalog membership included); pass it as `expectedVersion` to update safely.',
  })
  @Property({ type: 'integer' })
  version: number = 1;

  /** Catalogs the product belongs to (rows of `products.catalog_product`); read and written with SQL, used for filters. */
  @ManyToMany({ entity: () => Catalog, pivotTable: 'catalog_product', joinColumn: 'product_id', inverseJoinColumn: 'catalog_id' })
  catalogs = new Collection<Catalog>(this);

  @Field(() => Date, { description: 'When the product was created.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the product last changed.' })
  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}
