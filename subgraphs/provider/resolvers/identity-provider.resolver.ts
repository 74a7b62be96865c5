import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { runMutation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { Provider } from '../entities/provider';
import { readIdentityProvider, setIdentityProvider } from '../services/identity-providers';
import { IdentityProvider, SetProviderIdentityProviderInput, SetProviderIdentityProviderPayload } from './identity-provider.types';

@Resolver(() => Provider)
export class IdentityProviderResolver {
  @FieldResolver(() => IdentityProvider, {
    nullable: true,
    description: 'The identity provider OAuth2 clients are registered at; null when none is set. Portal admins (like the provider itself).',
  })
  async identityProvider(@Root() provider: Provider, @Ctx() context: SubgraphContext): Promise<IdentityProvider | null> {
    context.caller.requirePortalAdmin();
    const view = await readIdentityProvider(context.em, provider.id);
    return view ? Object.assign(new IdentityProvider(), view) : null;
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
      (em) => setIdentityProvider(em, context.env, input),
      () => ({ provider: null }),
    );
  }
}
