import { Directive, Field, InputType, ObjectType } from 'type-graphql';

/** A key/value pair (custom fields, credential metadata). Shared by every subgraph. */
@ObjectType({ description: 'A key/value pair, e.g. a custom field or a metadata entry.' })
@Directive('@shareable')
export class KeyValue {
  @Field(() => String, { description: 'The key.' })
  key!: string;

  @Field(() => String, { description: 'The value.' })
  value!: string;
}

@InputType({ description: 'A key/value pair to store.' })
export class KeyValueInput {
  @Field(() => String, { description: 'The key (letters, digits, `_`, `.` and `-`).' })
  key!: string;

  @Field(() => String, { description: 'The value.' })
  value!: string;
}

export function keyValue(key: string, value: string): KeyValue {
  return Object.assign(new KeyValue(), { key, value });
}
