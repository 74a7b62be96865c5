import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * The products subgraph's `Catalog`, as plans sees it: only its key. Not a table. Plans adds
 * `plans` to it (see `resolvers/catalog.resolver.ts`) and returns it from `Plan.catalogs`, so the
 * key is resolvable here and `references.Catalog` returns `{ id }`.
 */
@ObjectType('Catalog', {
  description: 'A set of products and plans offered to an audience: everyone (PUBLIC) or chosen organizations and teams (PRIVATE).',
})
@Directive('@key(fields: "id")')
export class CatalogRef {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

export function catalogRef(id: string): CatalogRef {
  return Object.assign(new CatalogRef(), { id });
}
