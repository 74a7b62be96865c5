import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * Entities owned by other subgraphs that usage adds fields to (`quota`, `usage`): only their key,
 * resolvable here (`__resolveReference` returns `{ id }`). Descriptions are the owners' own.
 */
@ObjectType('App', {
  description: 'An application of an organization (optionally of one of its teams) that consumes APIs through credentials.',
})
@Directive('@key(fields: "id")')
export class AppRef {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

@ObjectType('Credential', { description: 'An API key issued to an app for some products under a plan; its secret is shown once.' })
@Directive('@key(fields: "id")')
export class CredentialRef {
  @Field(() => ID, { description: 'Stable identifier (UUID); stays the same when the plan changes.' })
  id!: string;
}

@ObjectType('Plan', {
  description:
    'What a developer gets: a usage quota, rate limit and credential settings for the products in the plan’s catalogs. Anyone who may see the plan may read every field.',
})
@Directive('@key(fields: "id")')
export class PlanRef {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

export const appRef = (id: string) => Object.assign(new AppRef(), { id });
export const credentialRef = (id: string) => Object.assign(new CredentialRef(), { id });
export const planRef = (id: string) => Object.assign(new PlanRef(), { id });

/** `__resolveReference` of the stubs: the key is all usage needs. */
export function resolveStubReference(reference: Record<string, unknown>) {
  return { id: String(reference.id) };
}
