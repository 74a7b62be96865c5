import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * Entities owned by other subgraphs, as provider sees them: only their key. Provider adds fields
 * to them (`sync`, `provider`), so their keys are resolvable here and `__resolveReference` returns
 * `{ id }`. Descriptions are the owners' own.
 */
@ObjectType('Plan', {
  description:
    'What a developer gets: a usage quota, rate limit and credential settings for the products in the plan’s catalogs. Anyone who may see the plan may read every field.',
})
@Directive('@key(fields: "id")')
export class PlanRef {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

@ObjectType('Product', { description: 'What an API offers: a named bundle of Tyk APIs that plans grant access to.' })
@Directive('@key(fields: "id")')
export class ProductRef {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

@ObjectType('Credential', { description: 'An API key issued to an app for some products under a plan; its secret is shown once.' })
@Directive('@key(fields: "id")')
export class CredentialRef {
  @Field(() => ID, { description: 'Stable identifier (UUID); stays the same when the plan changes.' })
  id!: string;
}

export const planRef = (id: string) => Object.assign(new PlanRef(), { id });
export const productRef = (id: string) => Object.assign(new ProductRef(), { id });

/** `__resolveReference` of the stubs: the key is all provider needs. */
export function resolveStubReference(reference: Record<string, unknown>) {
  return { id: String(reference.id) };
}
