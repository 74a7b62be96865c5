import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { entityNow } from '../../../common/clock';

/**
 * A developer's profile (table `developer`), one per token subject. Created by
 * `registerDeveloper`, or by the first mutation a signed-in caller makes (`ensureDeveloper`).
 */
@ObjectType({ description: 'A person who uses the portal, identified by their token subject, with the profile they registered.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'developer' })
export class Developer {
  [OptionalProps]?: 'id' | 'email' | 'createdAt' | 'updatedAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'Token subject (`sub` claim) of the developer; unique.' })
  @Property({ type: 'text', unique: 'developer_subject_key' })
  subject!: string;

  @Field(() => String, {
    nullable: true,
    description: "Email address from the developer's latest token; null when their token carries none.",
  })
  @Property({ type: 'text', nullable: true })
  email: string | null = null;

  @Field(() => String, { description: 'Name shown to other members of their organizations, 1–120 characters.' })
  @Property({ type: 'text' })
  displayName!: string;

  @Field(() => Date, { description: 'When the profile was created (the developer’s first registration or mutation).' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the profile last changed.' })
  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}
