import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';

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
    PUBLISHED: { description: 'Offered in the catalogue.' },
    ARCHIVED: { description: 'No longer offered; existing access keeps working until revoked.' },
  },
});

@ObjectType({ description: 'What an API offers: a named bundle of Tyk APIs that plans grant access to.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'product' })
export class Product {
  [OptionalProps]?: 'id' | 'description' | 'status' | 'createdAt' | 'updatedAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'Unique, URL-safe name used in portal links (`payments-api`).' })
  @Property({ type: 'text', unique: 'product_slug_key' })
  slug!: string;

  @Field(() => String, { description: 'Name shown in the catalogue.' })
  @Property({ type: 'text' })
  name!: string;

  @Field(() => String, { description: 'Markdown description of what the product offers.' })
  @Property({ type: 'text' })
  description: string = '';

  @Field(() => ProductStatus, { description: 'Lifecycle status.' })
  @Enum({ items: () => ProductStatus })
  status: ProductStatus = ProductStatus.DRAFT;

  @Field(() => Date, { description: 'When the product was created.' })
  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'When the product last changed.' })
  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
