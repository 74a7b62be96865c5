import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { createHash, timingSafeEqual } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import { decryptSecret, encryptSecret, keyRingFromEnv, sealedWith } from '../../../common/crypto';
import {
  canonicalInput,
  checkIdempotencyKey,
  firstResultGone,
  idempotencyKeyDescription,
  idempotentCall,
  keyReused,
  runIdempotent,
} from '../../../common/idempotency';
import { connectionType, PageArgs, paginate } from '../../../common/relay';
import { UserError } from '../../../common/errors';
import { runMutation, Validation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { DEFAULT_POLICY_TAGS, healthOf, Provider, ProviderHealth, ProviderKind } from '../entities/provider';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { providerSettings } from '../services/deps';
import { userError, UserErrorException } from '../../../common/errors';
import { enqueueOrphanSyncs } from '../services/provider-sync';
import { isUuid } from '../../../common/ids';
import { checkPolicyTags, checkSecret, NAME_MAX, normalizeBaseUrl, ORG_ID_PATTERN } from '../services/validation';

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

@ObjectType({ description: 'Result of `updateProvider`.' })
export class UpdateProviderPayload {
  @Field(() => Provider, { nullable: true, description: 'The provider after the change; null when `errors` is not empty.' })
  provider!: Provider | null;

  @Field(() => [UserError], { description: 'Why nothing changed; empty on success.' })
  errors!: UserError[];
}

const NAME_TAKEN = {
  provider_name_key: { field: 'input.name', message: 'A provider with this name exists already: choose another name.' },
};

/** Whether two secrets are equal, in constant time (their digests have one length). */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

function checkName(validation: Validation, raw: string): string {
  const name = raw.trim();
  validation.check(name.length >= 1 && name.length <= NAME_MAX, 'input.name', `Give a name of 1 to ${NAME_MAX} characters.`);
  return name;
}

function checkBaseUrl(validation: Validation, raw: string): string {
  const baseUrl = normalizeBaseUrl(raw);
  if ('error' in baseUrl) {
    validation.fail('input.baseUrl', baseUrl.error);
    return raw;
  }
  return baseUrl.url;
}

function checkOrgId(validation: Validation, raw: string): string {
  const tykOrgId = raw.trim();
  validation.check(
    ORG_ID_PATTERN.test(tykOrgId),
    'input.tykOrgId',
    'Give the Tyk organization id (`org_id` in Tyk): 1 to 128 letters, digits, `.`, `_` or `-`.',
  );
  return tykOrgId;
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
      async (em) => {
        const validation = new Validation();
        const name = checkName(validation, input.name);
        const baseUrl = checkBaseUrl(validation, input.baseUrl);
        const tykOrgId = checkOrgId(validation, input.tykOrgId);
        const policyTags = checkPolicyTags(validation, 'input.policyTags', input.policyTags ?? DEFAULT_POLICY_TAGS);
        checkSecret(validation, 'input.secret', input.secret);
        checkIdempotencyKey(validation, input.idempotencyKey);
        validation.done();

        // The secret stays out of the key's row, even hashed (a weak or default Tyk secret would be found by
        // hashing guesses): a replay compares it with the secret the provider holds instead.
        const idempotency = idempotentCall(
          'provider',
          subject,
          'registerProvider',
          input.idempotencyKey,
          canonicalInput({ name, kind: input.kind, baseUrl, tykOrgId, policyTags, makeDefault: input.makeDefault ?? false }),
        );
        return runIdempotent<{ provider: Provider | null }>(em, idempotency, context.clock.now(), {
          replay: async (first) => {
            const provider = await em.findOne(Provider, { id: first.resultId }, { refresh: true });
            if (!provider) throw firstResultGone('provider');
            if (!sameSecret(decryptSecret(keyRingFromEnv(context.env), provider.secretEncrypted), input.secret)) throw keyReused();
            return { provider };
          },
          resultOf: (result) => ({ id: result.provider!.id }),
          run: async () => {
            // One registration at a time decides the default flag; the partial unique index is the backstop.
            await em.execute('select pg_advisory_xact_lock(hashtext(?))', [DEFAULT_LOCK]);
            let isDefault = Boolean(input.makeDefault);
            if (isDefault) await em.nativeUpdate(Provider, { isDefault: true }, { isDefault: false });
            else isDefault = (await em.count(Provider, { isDefault: true })) === 0;

            const secretEncrypted = encryptSecret(keyRingFromEnv(context.env), input.secret);
            const provider = em.create(Provider, {
              name,
              kind: input.kind,
              baseUrl,
              tykOrgId,
              policyTags,
              secretEncrypted,
              secretKeyId: sealedWith(secretEncrypted)!,
              isDefault,
            });
            await em.flush();
            // First periodic sync (dashboard-first import, drift repair) after one interval; `syncProvider` runs one at once.
            const interval = providerSettings(context.env).syncIntervalSeconds;
            await enqueueJob(
              em,
              JOB_TASKS.syncProvider,
              { providerId: provider.id },
              { jobKey: `provider-sync:${provider.id}`, delaySeconds: interval },
            );
            // Plans and products created while no provider was registered go to the new default now.
            if (isDefault) await enqueueOrphanSyncs(em);
            return { provider };
          },
        });
      },
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
      async (em) => {
        const validation = new Validation();
        validation.check(isUuid(input.id), 'input.id', 'Give a provider id (a UUID from `providers`).');
        const refuseNull = (field: keyof UpdateProviderInput) =>
          validation.check(
            input[field] !== null,
            `input.${field}`,
            `\`${field}\` cannot be null: give a value, or leave it out to keep the current one.`,
          );
        for (const field of ['name', 'baseUrl', 'secret', 'tykOrgId', 'policyTags', 'makeDefault'] as const) refuseNull(field);
        const name = typeof input.name === 'string' ? checkName(validation, input.name) : undefined;
        const baseUrl = typeof input.baseUrl === 'string' ? checkBaseUrl(validation, input.baseUrl) : undefined;
        const tykOrgId = typeof input.tykOrgId === 'string' ? checkOrgId(validation, input.tykOrgId) : undefined;
        const policyTags = Array.isArray(input.policyTags) ? checkPolicyTags(validation, 'input.policyTags', input.policyTags) : undefined;
        if (typeof input.secret === 'string') checkSecret(validation, 'input.secret', input.secret);
        validation.done();

        await em.execute('select pg_advisory_xact_lock(hashtext(?))', [DEFAULT_LOCK]);
        const provider = await em.findOne(Provider, { id: input.id.toLowerCase() }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!provider)
          throw new UserErrorException([userError('NOT_FOUND', 'input.id', 'No provider has this id: pick one from `providers`.')]);
        if (input.makeDefault === false && provider.isDefault) {
          throw new UserErrorException([
            userError(
              'DEFAULT_REQUIRED',
              'input.makeDefault',
              'This is the default provider and one provider must stay the default: make another provider the default instead.',
            ),
          ]);
        }
        const before = {
          baseUrl: provider.baseUrl,
          tykOrgId: provider.tykOrgId,
          policyTags: [...provider.policyTags],
          secretKeyId: provider.secretKeyId,
        };
        if (name !== undefined) provider.name = name;
        if (baseUrl !== undefined) provider.baseUrl = baseUrl;
        if (tykOrgId !== undefined) provider.tykOrgId = tykOrgId;
        if (policyTags !== undefined) provider.policyTags = policyTags;
        let secretChanged = false;
        if (typeof input.secret === 'string') {
          provider.secretEncrypted = encryptSecret(keyRingFromEnv(context.env), input.secret);
          provider.secretKeyId = sealedWith(provider.secretEncrypted)!;
          secretChanged = true;
        }
        const becameDefault = input.makeDefault === true && !provider.isDefault;
        if (becameDefault) {
          await em.nativeUpdate(Provider, { isDefault: true, id: { $ne: provider.id } }, { isDefault: false });
          provider.isDefault = true;
        }
        await em.flush();
        const reachChanged =
          secretChanged ||
          provider.baseUrl !== before.baseUrl ||
          provider.tykOrgId !== before.tykOrgId ||
          provider.policyTags.join('\n') !== before.policyTags.join('\n');
        // Converge at once: the sync's drift repair rewrites portal-owned policies that now differ (org id, tags, a new URL).
        if (reachChanged)
          await enqueueJob(em, JOB_TASKS.syncProvider, { providerId: provider.id }, { jobKey: `provider-sync:${provider.id}` });
        if (becameDefault) await enqueueOrphanSyncs(em);
        return { provider };
      },
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
