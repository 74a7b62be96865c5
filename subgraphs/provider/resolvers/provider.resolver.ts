import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { encryptSecret, keyRingFromEnv, sealedWith } from '../../../common/crypto';
import { connectionType, PageArgs, paginate } from '../../../common/relay';
import { UserError } from '../../../common/errors';
import { runMutation, Validation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { DEFAULT_POLICY_TAGS, healthOf, Provider, ProviderHealth, ProviderKind } from '../entities/provider';
import { enqueueJob } from '../../../common/jobs';
import { providerSettings } from '../sync/deps';
import { enqueueOrphanSyncs } from '../sync/provider-sync';
import { TASKS } from '../sync/tasks';
import { checkPolicyTags, checkSecret, isUuid, NAME_MAX, normalizeBaseUrl, ORG_ID_PATTERN } from '../validation';

export const ProviderConnection = connectionType(Provider, 'Provider', 'provider');

/** Serializes default-flag changes, so two concurrent registrations cannot both become default. */
const DEFAULT_LOCK = 'plangraph:provider:default';

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
    description: 'Tags that mark the policies this portal owns: 1–20 tags of 1–64 letters, digits, `:`, `.`, `_` or `-` (default `["plangraph"]`).',
  })
  policyTags?: string[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Make this the default provider (the previous default stops being one). The first provider registered is always the default.',
  })
  makeDefault?: boolean | null;
}

@ObjectType({ description: 'Result of `registerProvider`.' })
export class RegisterProviderPayload {
  @Field(() => Provider, { nullable: true, description: 'The new provider; null when `errors` is not empty.' })
  provider!: Provider | null;

  @Field(() => [UserError], { description: 'Why nothing was registered; empty on success.' })
  errors!: UserError[];
}

@Resolver(() => Provider)
export class ProviderResolver {
  @Query(() => ProviderConnection, { description: 'Registered providers, oldest first. Portal admins only.' })
  async providers(@Args(() => PageArgs) page: PageArgs, @Ctx() context: SubgraphContext) {
    context.caller.requirePortalAdmin();
    return paginate(context.em, Provider, {}, page);
  }

  @Query(() => Provider, { nullable: true, description: 'One provider by id; null when it does not exist. Portal admins only.' })
  async provider(
    @Arg('id', () => ID, { description: 'Provider id.' }) id: string,
    @Ctx() context: SubgraphContext,
  ): Promise<Provider | null> {
    context.caller.requirePortalAdmin();
    if (!isUuid(id)) return null;
    return context.em.findOne(Provider, { id });
  }

  @Mutation(() => RegisterProviderPayload, {
    description:
      'Registers a Tyk Gateway or Dashboard. The first provider becomes the default; `makeDefault` moves the default to the new one. Portal admins only.',
  })
  async registerProvider(
    @Arg('input', () => RegisterProviderInput, { description: 'The provider to register.' }) input: RegisterProviderInput,
    @Ctx() context: SubgraphContext,
  ): Promise<RegisterProviderPayload> {
    context.caller.requirePortalAdmin();
    return runMutation<{ provider: Provider | null }>(
      context,
      async (em) => {
        const validation = new Validation();
        const name = input.name.trim();
        validation.check(name.length >= 1 && name.length <= NAME_MAX, 'input.name', `Give a name of 1 to ${NAME_MAX} characters.`);
        const baseUrl = normalizeBaseUrl(input.baseUrl);
        if ('error' in baseUrl) validation.fail('input.baseUrl', baseUrl.error);
        const tykOrgId = input.tykOrgId.trim();
        validation.check(
          ORG_ID_PATTERN.test(tykOrgId),
          'input.tykOrgId',
          "Give the Tyk organization id (`org_id` in Tyk): 1 to 128 letters, digits, `.`, `_` or `-`.",
        );
        const policyTags = checkPolicyTags(validation, 'input.policyTags', input.policyTags ?? DEFAULT_POLICY_TAGS);
        checkSecret(validation, 'input.secret', input.secret);
        validation.done();

        // One registration at a time decides the default flag; the partial unique index is the backstop.
        await em.execute('select pg_advisory_xact_lock(hashtext(?))', [DEFAULT_LOCK]);
        let isDefault = Boolean(input.makeDefault);
        if (isDefault) await em.nativeUpdate(Provider, { isDefault: true }, { isDefault: false });
        else isDefault = (await em.count(Provider, { isDefault: true })) === 0;

        const secretEncrypted = encryptSecret(keyRingFromEnv(), input.secret);
        const provider = em.create(Provider, {
          name,
          kind: input.kind,
          baseUrl: (baseUrl as { url: string }).url,
          tykOrgId,
          policyTags,
          secretEncrypted,
          secretKeyId: sealedWith(secretEncrypted)!,
          isDefault,
        });
        await em.flush();
        // First periodic sync (dashboard-first import, drift repair) after one interval; `syncProvider` runs one at once.
        const interval = providerSettings(process.env).syncIntervalSeconds;
        await enqueueJob(em, TASKS.syncProvider, { providerId: provider.id }, { jobKey: `provider-sync:${provider.id}`, runAt: new Date(context.clock.now().getTime() + interval * 1000) });
        // Plans and products created while no provider was registered go to the new default now.
        if (isDefault) await enqueueOrphanSyncs(em);
        return { provider };
      },
      () => ({ provider: null }),
      { uniqueFields: { provider_name_key: { field: 'input.name', message: 'A provider with this name exists already: choose another name.' } } },
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
