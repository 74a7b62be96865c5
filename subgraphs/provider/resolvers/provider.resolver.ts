import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { isUuid } from '../../../common/ids';
import { runMutation } from '../../../common/mutation';
import { PageArgs, paginate } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { healthOf, Provider, ProviderHealth } from '../entities/provider';
import { NAME_TAKEN, registerProvider, updateProvider } from '../services/providers';
import {
  ProviderConnection,
  RegisterProviderInput,
  RegisterProviderPayload,
  UpdateProviderInput,
  UpdateProviderPayload,
} from './provider.types';

@Resolver(() => Provider)
export class ProviderResolver {
  @Query(() => ProviderConnection, { description: 'Registered providers, oldest first. Portal admins only.' })
  async providers(@Args(() => PageArgs) page: PageArgs, @Ctx() context: SubgraphContext) {
    context.caller.requirePortalAdmin();
    return paginate(context.em, Provider, {}, page);
  }

  @Query(() => Provider, { nullable: true, description: 'One provider by id; null when it does not exist. Portal admins only.' })
  async provider(
    @Arg('id', () => ID, { description: 'Provider id (a UUID; anything else is BAD_USER_INPUT).' }) id: string,
    @Ctx() context: SubgraphContext,
  ): Promise<Provider | null> {
    context.caller.requirePortalAdmin();
    if (!isUuid(id)) return null;
    return context.em.findOne(Provider, { id });
  }

  @Mutation(() => RegisterProviderPayload, {
    description:
      'Registers a Tyk Gateway or Dashboard. The first provider becomes the default; `makeDefault` moves the default to the new one. Portal admins only, with a token that asserts MFA (MFA_REQUIRED otherwise).',
  })
  async registerProvider(
    @Arg('input', () => RegisterProviderInput, { description: 'The provider to register.' }) input: RegisterProviderInput,
    @Ctx() context: SubgraphContext,
  ): Promise<RegisterProviderPayload> {
    const subject = context.caller.requirePortalAdmin();
    context.caller.requireMfa('Registering a provider');
    return runMutation<{ provider: Provider | null }>(
      context,
      (em) => registerProvider({ em, now: context.clock.now(), env: context.env }, subject, input),
      () => ({ provider: null }),
      { uniqueFields: NAME_TAKEN },
    );
  }

  @Mutation(() => UpdateProviderPayload, {
    description:
      'Changes a provider (only the fields given). A new secret is encrypted with the current key. When the URL, secret, Tyk org id or policy tags change, a provider sync runs at once: portal-owned policies that now differ (or are missing at a new URL) are rewritten there. Keys are not moved. `makeDefault: true` moves the default here. Portal admins only, with a token that asserts MFA (MFA_REQUIRED otherwise).',
  })
  async updateProvider(
    @Arg('input', () => UpdateProviderInput, { description: 'The provider and the changes.' }) input: UpdateProviderInput,
    @Ctx() context: SubgraphContext,
  ): Promise<UpdateProviderPayload> {
    context.caller.requirePortalAdmin();
    context.caller.requireMfa('Changing a provider');
    return runMutation<{ provider: Provider | null }>(
      context,
      (em) => updateProvider({ em, now: context.clock.now(), env: context.env }, input),
      () => ({ provider: null }),
      { uniqueFields: NAME_TAKEN },
    );
  }

  @FieldResolver(() => Boolean, { description: 'True when an admin secret is stored (the secret itself is never returned).' })
  hasSecret(@Root() provider: Provider): boolean {
    return Boolean(provider.secretEncrypted);
  }

  @FieldResolver(() => ProviderHealth, { description: 'How calls from the portal to this provider have been going.' })
  health(@Root() provider: Provider): ProviderHealth {
    return healthOf(provider);
  }
}
