/** GraphQL input and payload of `registerDeveloper`. */
import { Field, InputType } from 'type-graphql';
import { payloadType } from '../../../common/payloads';
import { Developer } from '../entities/developer';

@InputType({ description: "The caller's profile. Subject and email always come from the token." })
export class RegisterDeveloperInput {
  @Field(() => String, { description: 'Name shown to other members of their organizations, 1–120 characters.' })
  displayName!: string;
}

export const RegisterDeveloperPayload = payloadType(
  'RegisterDeveloperPayload',
  'registerDeveloper',
  'developer',
  Developer,
  "The caller's profile",
);
