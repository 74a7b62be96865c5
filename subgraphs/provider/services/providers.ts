/**
 * The provider use cases: register and update a provider (a Tyk Gateway or Dashboard). Each runs
 * inside the mutation's transaction (`runMutation`), after the resolver has checked the caller is
 * a portal admin with MFA; each enqueues the provider sync its change needs in the same
 * transaction.
 */
import { LockMode } from '@mikro-orm/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import { decryptSecret, encryptSecret, keyRingFromEnv, sealedWith } from '../../../common/crypto';
import { refuse } from '../../../common/errors';
import {
  canonicalInput,
  checkIdempotencyKey,
  firstResultGone,
  idempotentCall,
  keyReused,
  runIdempotent,
} from '../../../common/idempotency';
import { isUuid } from '../../../common/ids';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { Validation } from '../../../common/mutation';
import type { Ops } from '../../../common/ops';
import { DEFAULT_POLICY_TAGS, Provider, ProviderKind } from '../entities/provider';
import { lock, providerSettings } from './deps';
import { enqueueOrphanSyncs } from './provider-sync';
import { checkPolicyTags, checkSecret, NAME_MAX, normalizeBaseUrl, ORG_ID_PATTERN } from './validation';

/** What the use cases need from the request: its transaction's EntityManager, "now" and settings. */
export type ProviderOps = Pick<Ops, 'em' | 'now' | 'env'>;

export interface RegisterProviderCommand {
  name: string;
  kind: ProviderKind;
  baseUrl: string;
  secret: string;
  tykOrgId: string;
  policyTags?: string[] | null;
  makeDefault?: boolean | null;
  idempotencyKey?: string | null;
}

/** Only the fields given change; null is refused (left out keeps the value). */
export interface UpdateProviderCommand {
  id: string;
  name?: string | null;
  baseUrl?: string | null;
  secret?: string | null;
  tykOrgId?: string | null;
  policyTags?: string[] | null;
  makeDefault?: boolean | null;
}

type ProviderResult = { provider: Provider | null };

/** Serializes default-flag changes, so two concurrent registrations cannot both become default. */
export const NAME_TAKEN = {
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

/** Registers a provider; the first one (or one with `makeDefault`) becomes the default. */
export async function registerProvider(ops: ProviderOps, subject: string, input: RegisterProviderCommand): Promise<ProviderResult> {
  const { em } = ops;
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
  return runIdempotent<{ provider: Provider | null }>(em, idempotency, ops.now, {
    replay: async (first) => {
      const provider = await em.findOne(Provider, { id: first.resultId }, { refresh: true });
      if (!provider) throw firstResultGone('provider');
      if (!sameSecret(decryptSecret(keyRingFromEnv(ops.env), provider.secretEncrypted), input.secret)) throw keyReused();
      return { provider };
    },
    resultOf: (result) => ({ id: result.provider!.id }),
    run: async () => {
      // One registration at a time decides the default flag; the partial unique index is the backstop.
      await lock(em, 'default');
      let isDefault = Boolean(input.makeDefault);
      if (isDefault) await em.nativeUpdate(Provider, { isDefault: true }, { isDefault: false });
      else isDefault = (await em.count(Provider, { isDefault: true })) === 0;

      const secretEncrypted = encryptSecret(keyRingFromEnv(ops.env), input.secret);
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
      const interval = providerSettings(ops.env).syncIntervalSeconds;
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
}

/** Changes a provider; a change of how it is reached (URL, secret, org id, tags) runs a provider sync at once. */
export async function updateProvider(ops: ProviderOps, input: UpdateProviderCommand): Promise<ProviderResult> {
  const { em } = ops;
  const validation = new Validation();
  validation.check(isUuid(input.id), 'input.id', 'Give a provider id (a UUID from `providers`).');
  const refuseNull = (field: keyof UpdateProviderCommand) =>
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

  await lock(em, 'default');
  const provider = await em.findOne(Provider, { id: input.id.toLowerCase() }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!provider) refuse('NOT_FOUND', 'input.id', 'No provider has this id: pick one from `providers`.');
  if (input.makeDefault === false && provider.isDefault) {
    refuse(
      'DEFAULT_REQUIRED',
      'input.makeDefault',
      'This is the default provider and one provider must stay the default: make another provider the default instead.',
    );
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
    provider.secretEncrypted = encryptSecret(keyRingFromEnv(ops.env), input.secret);
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
  if (reachChanged) await enqueueJob(em, JOB_TASKS.syncProvider, { providerId: provider.id }, { jobKey: `provider-sync:${provider.id}` });
  if (becameDefault) await enqueueOrphanSyncs(em);
  return { provider };
}
