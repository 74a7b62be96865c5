/**
 * The identity provider a provider names for the OAuth2 clients of OAUTH_CLIENT credentials
 * (`provider.identity_provider`; clients are registered there by ./client-registration.ts): read
 * it, set it, remove it. Setting runs inside the mutation's transaction (`runMutation`), after the
 * resolver has checked the caller is a portal admin with MFA.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { appendAudit } from '../../../common/audit';
import { encryptSecret, keyRingFromEnv } from '../../../common/crypto';
import { refuse } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { Validation } from '../../../common/mutation';
import { query } from '../../../common/sql';
import { Provider } from '../entities/provider';
import { checkSecret, normalizeBaseUrl } from './validation';

export interface IdentityProviderView {
  issuer: string;
  hasInitialAccessToken: boolean;
  updatedAt: Date;
}

export interface SetIdentityProviderCommand {
  providerId: string;
  /** null or left out: remove it. */
  issuer?: string | null;
  initialAccessToken?: string | null;
}

interface Row {
  issuer: string;
  has_token: boolean;
  updated_at: Date;
}

/** The identity provider a provider names; null when none is set. */
export async function readIdentityProvider(em: EntityManager, providerId: string): Promise<IdentityProviderView | null> {
  const [row] = await query<Row>(
    em,
    'select issuer, initial_access_token_encrypted is not null as has_token, updated_at from provider.identity_provider where provider_id = ?',
    [providerId],
  );
  return row ? { issuer: row.issuer, hasInitialAccessToken: row.has_token, updatedAt: new Date(row.updated_at) } : null;
}

/** Names (or, with `issuer: null`, removes) the provider's identity provider; audited without the token. */
export async function setIdentityProvider(
  em: EntityManager,
  env: NodeJS.ProcessEnv,
  input: SetIdentityProviderCommand,
): Promise<{ provider: Provider | null }> {
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
  if (!provider) refuse('NOT_FOUND', 'input.providerId', 'No provider has this id: check `providers`.');
  if (issuer === null) {
    await query(em, 'delete from provider.identity_provider where provider_id = ?', [provider.id]);
  } else {
    const token = input.initialAccessToken ? encryptSecret(keyRingFromEnv(env), input.initialAccessToken) : null;
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
}
