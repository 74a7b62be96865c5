/** GraphQL inputs, payloads and the connection of the provider operations. */
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { payloadType } from '../../../common/payloads';
import { connectionType } from '../../../common/relay';
import { Provider, ProviderKind } from '../entities/provider';

export const ProviderConnection = connectionType(Provider, 'Provider', 'provider');

@InputType({ description: 'A Tyk Gateway or Dashboard to register.' })
export class RegisterProviderInput {
  @Field(() => String, { description: 'Unique name, 1–80 characters (e.g. `production-eu`).' })
  name!: string;

  @Field(() => ProviderKind, { description: 'TYK_GATEWAY for the open-source Gateway API, TYK_DASHBOARD for the Dashboard API.' })
  kind!: ProviderKind;

  @Field(() => String, {
    description:
      'Absolute http(s) URL of the Gateway control API or the Dashboard, without query or fragment (e.g. `https://tyk.example.com:8080`); a trailing slash is removed.',
  })
  baseUrl!: string;

  @Field(() => String, {
    description:
      'Admin secret, 1–4096 printable ASCII characters: the Gateway `secret` (sent as `x-tyk-authorization`) or a Dashboard user API credential (sent as `authorization`). Stored encrypted; never returned.',
  })
  secret!: string;

  @Field(() => String, { description: 'Tyk organization id (`org_id`), 1–128 letters, digits, `.`, `_` or `-`.' })
  tykOrgId!: string;

  @Field(() => [String], {
    nullable: true,
    description:
      'Tags that mark the policies this portal owns: 1–20 tags of 1–64 letters, digits, `:`, `.`, `_` or `-` (default `["plangraph"]`).',
  })
  policyTags?: string[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Make this the default provider (the previous default stops being one). The first provider registered is always the default.',
  })
  makeDefault?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description: idempotencyKeyDescription(
      'the same provider, as it is now (the input is compared after normalising, like the stored values; the secret is never kept with the key: a retry must send the secret the provider has now)',
    ),
  })
  idempotencyKey?: string | null;
}

@ObjectType({ description: 'Result of `registerProvider`.' })
export class RegisterProviderPayload {
  @Field(() => Provider, { nullable: true, description: 'The new provider; null when `errors` is not empty.' })
  provider!: Provider | null;

  @Field(() => [UserError], { description: 'Why nothing was registered; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'Changes to a provider: only the fields given change.' })
export class UpdateProviderInput {
  @Field(() => ID, { description: 'The provider to change.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New unique name, 1–80 characters.' })
  name?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'New absolute http(s) URL of the Gateway control API or the Dashboard, without query or fragment; a trailing slash is removed.',
  })
  baseUrl?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'New admin secret, 1–4096 printable ASCII characters (e.g. after rotating it in Tyk). Stored encrypted with the current key; never returned.',
  })
  secret?: string | null;

  @Field(() => String, { nullable: true, description: 'New Tyk organization id (`org_id`), 1–128 letters, digits, `.`, `_` or `-`.' })
  tykOrgId?: string | null;

  @Field(() => [String], {
    nullable: true,
    description: 'New policy tags (replaces the list): 1–20 tags of 1–64 letters, digits, `:`, `.`, `_` or `-`.',
  })
  policyTags?: string[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'true makes this the default provider (the previous default stops being one). false is refused for the default provider (make another one the default instead).',
  })
  makeDefault?: boolean | null;
}

export const UpdateProviderPayload = payloadType(
  'UpdateProviderPayload',
  'updateProvider',
  'provider',
  Provider,
  'The provider after the change',
);
export type UpdateProviderPayload = InstanceType<typeof UpdateProviderPayload>;
