import { Field, ObjectType, type ClassType } from 'type-graphql';
import { UserError } from './errors';

/**
 * `<Name>Payload { <field>: <Type>, errors: [UserError!]! }` for a mutation: the changed thing
 * (null when `errors` is not empty) and the expected failures.
 */
export function payloadType<K extends string, T extends object>(
  name: string,
  mutation: string,
  field: K,
  type: ClassType<T>,
  what: string,
): ClassType<{ [P in K]: T | null } & { errors: UserError[] }> {
  class Payload {}
  Field(() => type, { nullable: true, description: `${what}; null when \`errors\` is not empty.` })(Payload.prototype, field);
  Field(() => [UserError], { description: 'Why nothing changed; empty on success.' })(Payload.prototype, 'errors');
  ObjectType(name, { description: `Result of \`${mutation}\`.` })(Payload);
  return Payload as never;
}
