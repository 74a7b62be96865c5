import { Arg, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { encryptSecret, keyRingFromEnv } from '../../../common/crypto';
import { appendAudit } from '../../../common/audit';
import { UserError, userError, UserErrorException } from '../../../common/errors';
import { runMutation, Validation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { Provider } from '../entities/provider';
import { query } from '../../../common/sql';
import { isUuid } from '../../../common/ids';
import { checkSecret, normalizeBaseUrl } from '../services/validation';

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

@ObjectType({ description: 'Result of `setProviderIdentityProvider`.' })
export class SetProviderIdentityProviderPayload {
  @Field(() => Provider, { nullable: true, description: 'The provider; null when `errors` is not empty.' })
  provider!: Provider | null;

  @Field(() => [UserError], { description: 'Why nothing changed; empty on success.' })
  errors!: UserError[];
}

interface Row {
  issuer: string;
  has_token: boolean;
  updated_at: Date;
}

@Resolver(() => Provider)
export class IdentityProviderResolver {
  @FieldResolver(() => IdentityProvider, {
    nullable: true,
    description: 'The identity provider OAuth2 clients are registered at; null when none is set. Portal admins (like the provider itself).',
  })
  async identityProvider(@Root() provider: Provider, @Ctx() context: SubgraphContext): Promise<IdentityProvider | null> {
    context.caller.requirePortalAdmin();
    const [row] = await query<Row>(
      context.em,
      'select issuer, initial_access_token_encrypted is not null as has_token, updated_at from provider.identity_provider where provider_id = ?',
      [provider.id],
    );
    return row
      ? Object.assign(new IdentityProvider(), {
          issuer: row.issuer,
          hasInitialAccessToken: row.has_token,
          updatedAt: new Date(row.updated_at),
        })
      : null;
  }

  @Mutation(() => SetProviderIdentityProviderPayload, {
    description:
      'Names (or, with `issuer: null`, removes) the OpenID Connect identity provider of a provider, where OAUTH_CLIENT credentials of its plans are registered as OAuth2 clients. Nothing is called now: the issuer is discovered when a client is registered (failures show in the job log and are retried). Portal admins only, with a token that asserts MFA (MFA_REQUIRED otherwise). Audited (without the token).',
  })
  async setProviderIdentityProvider(
    @Arg('input', () => SetProviderIdentityProviderInput, { description: 'The provider and its identity provider.' })
    input: SetProviderIdentityProviderInput,
    @Ctx() context: SubgraphContext,
  ): Promise<SetProviderIdentityProviderPayload> {
    context.caller.requirePortalAdmin();
    context.caller.requireMfa('Setting a provider’s identity provider');
    return runMutation<{ provider: Provider | null }>(
      context,
      async (em) => {
        const v = new Validation();
        v.check(isUuid(input.providerId), 'input.providerId', 'Give a provider id (a UUID from `providers`).');
        let issuer: string | null = null;
        if (input.issuer !== null && input.issuer !== undefined) {
          const parsed = normalizeBaseUrl(input.issuer);
          if ('error' in parsed) v.fail('input.issuer', parsed.error.replace('the Tyk API', 'the issuer'));
          else issuer = parsed.url;
        }
        if (input.initialAccessToken !== null && input.initialAccessToken !== undefined)
          checkSecret(v, 'input.initialAccessToken', input.initialAccessToken);
        v.done();
        const provider = await em.findOne(Provider, { id: input.providerId.toLowerCase() });
        if (!provider)
          throw new UserErrorException([userError('NOT_FOUND', 'input.providerId', 'No provider has this id: check `providers`.')]);
        if (issuer === null) {
          await query(em, 'delete from provider.identity_provider where provider_id = ?', [provider.id]);
        } else {
          const token = input.initialAccessToken ? encryptSecret(keyRingFromEnv(context.env), input.initialAccessToken) : null;
          await query(
            em,
            `insert into provider.identity_provider (provider_id, issuer, initial_access_token_encrypted) values (?, ?, ?)
             on conflict (provider_id) do update set issuer = excluded.issuer, initial_access_token_encrypted = excluded.initial_access_token_encrypted, updated_at = now()`,
            [provider.id, issuer, token],
          );
        }
        await appendAudit(em, 'provider', {
          action: 'provider.setIdentityProvider',
          change: issuer === null ? 'DELETE' : 'UPDATE',
          targetType: 'Provider',
          targetId: provider.id,
          before: null,
          after: issuer === null ? null : { issuer, hasInitialAccessToken: Boolean(input.initialAccessToken) },
        });
        return { provider };
      },
      () => ({ provider: null }),
    );
  }
}
