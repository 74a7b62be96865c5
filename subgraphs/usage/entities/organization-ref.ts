import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The developers subgraph's `Organization`, as usage references it: only its key. */
@ObjectType('Organization', { description: 'A company or team of developers that uses the portal; it owns apps and credentials.' })
@Directive('@key(fields: "id", resolvable: false)')
export class OrganizationRef {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

export function organizationRef(id: string): OrganizationRef {
  return Object.assign(new OrganizationRef(), { id });
}
