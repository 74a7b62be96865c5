/** GraphQL types of a provider's identity provider: the field, the input and payload of its mutation. */
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { payloadType } from '../../../common/payloads';
import { Provider } from '../entities/provider';

/** The OpenID Connect issuer a provider names for OAuth2 clients (`provider.identity_provider`). */
@ObjectType({
  description:
    'The OpenID Connect identity provider a provider names: OAUTH_CLIENT credentials of plans on this provider are registered there as OAuth2 clients (RFC 7591 Dynamic Client Registration; the registration endpoint is found by OpenID Connect discovery) and deleted there when revoked (RFC 7592).',
})
export class IdentityProvider {
  @Field(() => String, { description: 'Issuer URL (its `/.well-known/openid-configuration` is read to find the registration endpoint).' })
  issuer!: string;

  @Field(() => Boolean, {
    description: 'True when an initial access token for the registration endpoint is stored (encrypted; it is never returned).',
  })
  hasInitialAccessToken!: boolean;

  @Field(() => Date, { description: 'When it was last set.' })
  updatedAt!: Date;
}

@InputType({ description: 'The identity provider a provider names for OAuth2 clients.' })
export class SetProviderIdentityProviderInput {
  @Field(() => ID, { description: 'The provider.' })
  providerId!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Issuer URL of an OpenID Connect provider with Dynamic Client Registration (absolute http(s), no query or fragment; a trailing slash is removed). Null removes the identity provider (clients registered already are kept and still deleted on revocation).',
  })
  issuer?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Initial access token the registration endpoint requires (RFC 7591 §3), 1–4096 printable ASCII characters; stored encrypted, never returned. Left out: none is sent.',
  })
  initialAccessToken?: string | null;
}

export const SetProviderIdentityProviderPayload = payloadType(
  'SetProviderIdentityProviderPayload',
  'setProviderIdentityProvider',
  'provider',
  Provider,
  'The provider',
);
export type SetProviderIdentityProviderPayload = InstanceType<typeof SetProviderIdentityProviderPayload>;
