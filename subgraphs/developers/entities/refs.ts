import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * The plans subgraph's `Plan`, as developers sees it: only its key (not resolvable here). Access
 * requests, credentials and entitlements point at it; clients select its fields (name, quota,
 * rate limit) through the gateway.
 */
@ObjectType('Plan', {
  description:
    'What a developer gets: a usage quota, rate limit and credential settings for the products in the plan’s catalogs. Anyone who may see the plan may read every field.',
})
@Directive('@key(fields: "id", resolvable: false)')
export class PlanRef {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

/** The products subgraph's `Product`, as developers sees it: only its key (not resolvable here). */
@ObjectType('Product', { description: 'What an API offers: a named bundle of Tyk APIs that plans grant access to.' })
@Directive('@key(fields: "id", resolvable: false)')
export class ProductRef {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

export function planRef(id: string): PlanRef {
  return Object.assign(new PlanRef(), { id });
}

export function productRefs(ids: readonly string[]): ProductRef[] {
  return ids.map((id) => Object.assign(new ProductRef(), { id }));
}
