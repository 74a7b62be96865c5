import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * The developers subgraph's `Organization`, as usage references it: only its key. Usage adds
 * `quota` to it, so the key is resolvable here (`__resolveReference` returns `{ id }`).
 */
@ObjectType('Organization', { description: 'A company or team of developers that uses the portal; it owns apps and credentials.' })
@Directive('@key(fields: "id")')
export class OrganizationRef {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

export function organizationRef(id: string): OrganizationRef {
  return Object.assign(new OrganizationRef(), { id });
}
