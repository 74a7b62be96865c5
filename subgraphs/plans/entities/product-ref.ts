import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * The products subgraph's `Product`, as plans sees it: only its key. Not a table. Plans adds
 * `availablePlans` to it (see `resolvers/product.resolver.ts`), so the key is resolvable here and
 * `references.Product` returns `{ id }`.
 */
@ObjectType('Product', { description: 'What an API offers: a named bundle of Tyk APIs that plans grant access to.' })
@Directive('@key(fields: "id")')
export class ProductRef {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

export function productRef(id: string): ProductRef {
  return Object.assign(new ProductRef(), { id });
}
