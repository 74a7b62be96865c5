/**
 * OAuth2 clients of OAUTH_CLIENT credentials, through Dynamic Client Registration at the
 * identity provider a provider names (`provider.identity_provider`):
 *
 * - `provider.registerClient { credentialId }` (developers, on approval, rotation and plan change):
 *   registers a confidential client for the client-credentials grant with the plan's scopes
 *   (RFC 7591, authorised by the identity provider's initial access token), keeps its RFC 7592
 *   management URI and registration access token (encrypted) in `provider.oauth_client`, and hands
 *   the client id and the client secret (encrypted, for the one-time reveal) to developers with
 *   `developers.clientRegistered`. Idempotent: a client that exists keeps existing; when the
 *   plan's scopes changed it is updated in place (RFC 7592 PUT).
 * - revocation (`provider.revokeKey`, which the developers subgraph enqueues for every revocation
 *   and at the end of a rotation's grace period) deletes the client (RFC 7592 DELETE; "already
 *   gone" counts as success).
 *
 * Every call that changes something at the identity provider is written to the audit log (no
 * secrets: client ids and scopes only). Client secrets, registration access tokens and initial
 * access tokens are never logged, stored in plaintext or put into an error.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { appendAudit, type AuditEntryInput } from '../../../common/audit';
import { decryptSecret, encryptSecret, keyRingFromEnv } from '../../../common/crypto';
import { enqueueJob } from '../../../common/jobs';
import { readPlanContracts } from '../../../common/contracts/plans';
import { query } from '../../../common/sql';
import { readClientCredential, readCredentialPlan, type ClientCredentialRow } from '../contracts/views';
import { call, clientMetadata, errorText, IdentityProviderError, registrationEndpoint } from '../oauth/client';
import { defaultProviderId, lock, type SyncDeps } from './deps';
import { revocationDue } from './key-sync';
import { enqueuePlanScopeSyncs } from './scope-sync';

/** The developers subgraph's job that receives a registered client (contract string). */
export const CLIENT_REGISTERED_TASK = 'developers.clientRegistered';
/** This subgraph's job that registers a client (contract string, enqueued by developers). */
export const REGISTER_CLIENT_TASK = 'provider.registerClient';

interface ClientRow {
  credential_id: string;
  provider_id: string | null;
  issuer: string | null;
  client_id: string | null;
  registration_client_uri: string | null;
  registration_access_token_encrypted: string | null;
  scope: string | null;
  status: 'PENDING' | 'ACTIVE' | 'DELETED' | 'FAILED';
}

interface IdentityProviderRow {
  provider_id: string;
  issuer: string;
  initial_access_token_encrypted: string | null;
}

// ------------------------------------------------------------------ state

async function readClient(em: EntityManager, credentialId: string): Promise<ClientRow | null> {
  const rows = await query<ClientRow>(em, 'select * from provider.oauth_client where credential_id = ? for update', [credentialId]);
  return rows[0] ?? null;
}

async function saveClient(
  em: EntityManager,
  credentialId: string,
  patch: Partial<Omit<ClientRow, 'credential_id'>> & { last_error?: string | null },
  countAttempt = true,
): Promise<void> {
  await query(em, `insert into provider.oauth_client (credential_id) values (?) on conflict (credential_id) do nothing`, [credentialId]);
  const entries = Object.entries(patch);
  const sets = entries.map(([column]) => `${column} = ?`);
  if (countAttempt) sets.push('attempts = attempts + 1');
  sets.push('updated_at = now()');
  await query(em, `update provider.oauth_client set ${sets.join(', ')} where credential_id = ?`, [
    ...entries.map(([, value]) => value),
    credentialId,
  ]);
}

/** The Tyk provider a plan's policy lives on, else the default provider. */
async function providerOfPlan(em: EntityManager, planId: string): Promise<string | null> {
  const rows = await query<{ provider_id: string }>(
    em,
    `select provider_id::text as provider_id from provider.policy_link where kind = 'PLAN' and subject_id = ? and provider_id is not null`,
    [planId],
  );
  return rows[0]?.provider_id ?? (await defaultProviderId(em));
}

async function identityProviderOf(em: EntityManager, providerId: string): Promise<IdentityProviderRow | null> {
  const rows = await query<IdentityProviderRow>(
    em,
    'select provider_id::text as provider_id, issuer, initial_access_token_encrypted from provider.identity_provider where provider_id = ?',
    [providerId],
  );
  return rows[0] ?? null;
}

function isRevoked(credential: ClientCredentialRow | null, now: Date): boolean {
  return (
    !credential ||
    credential.status === 'REVOKED' ||
    (credential.revokes_at !== null && new Date(credential.revokes_at).getTime() <= now.getTime())
  );
}

/** Runs `work` in one transaction holding the credential's client lock; a recorded failure is rethrown after commit (the job retries). */
async function withClient(
  deps: SyncDeps,
  credentialId: string,
  work: (tx: EntityManager, audits: AuditEntryInput[]) => Promise<Error | null>,
): Promise<void> {
  let failure: Error | null = null;
  await deps.fork().transactional(async (tx) => {
    await lock(tx, `oauth-client:${credentialId}`);
    const audits: AuditEntryInput[] = [];
    failure = await work(tx, audits);
    for (const entry of audits) await appendAudit(tx, 'provider', entry);
  });
  if (failure) throw failure;
}

const audit = (
  action: string,
  change: AuditEntryInput['change'],
  credential: { organization_id?: string | null },
  clientId: string | null,
  after: unknown,
): AuditEntryInput => ({
  action: `oidc.${action}`,
  change,
  targetType: 'OAuthClient',
  targetId: clientId,
  organizationId: credential.organization_id ?? null,
  before: null,
  after,
});

// ------------------------------------------------------------------ jobs

/** Deletes the client at the identity provider (RFC 7592); 401/404 mean it is gone already. */
async function deleteIn(
  tx: EntityManager,
  deps: SyncDeps,
  credential: { id: string; organization_id?: string | null },
  row: ClientRow,
  audits: AuditEntryInput[],
): Promise<Error | null> {
  if (row.status === 'DELETED' || !row.client_id) {
    if (row.status !== 'DELETED') await saveClient(tx, credential.id, { status: 'DELETED', last_error: null }, false);
    return null;
  }
  try {
    if (row.registration_client_uri && row.registration_access_token_encrypted) {
      const token = decryptSecret(keyRingFromEnv(deps.env), row.registration_access_token_encrypted);
      const { status, body } = await call(deps, 'DELETE', row.registration_client_uri, { bearer: token });
      if (status !== 204 && status !== 200 && status !== 401 && status !== 404)
        throw new IdentityProviderError(`deleting client ${row.client_id}: ${errorText(status, body)}`);
      audits.push(audit('deleteClient', 'DELETE', credential, row.client_id, { issuer: row.issuer, status }));
    }
  } catch (error) {
    if (!(error instanceof IdentityProviderError)) throw error;
    await saveClient(tx, credential.id, { last_error: error.message });
    return error;
  }
  await query(
    tx,
    `update provider.oauth_client set status = 'DELETED', deleted_at = now(), registration_access_token_encrypted = null, last_error = null, updated_at = now() where credential_id = ?`,
    [credential.id],
  );
  // The plan may have lost its last live access on some API: its scope mapping follows.
  const plan = await readCredentialPlan(tx, credential.id);
  if (plan) await enqueuePlanScopeSyncs(tx, plan.plan_id);
  return null;
}

/** `provider.registerClient`: registers (or updates) the credential's client; deletes it when the credential is revoked. */
export async function registerClient(deps: SyncDeps, credentialId: string): Promise<void> {
  await withClient(deps, credentialId, async (tx, audits) => {
    const credential = await readClientCredential(tx, credentialId);
    const row = await readClient(tx, credentialId);
    const now = deps.clock.now();
    if (isRevoked(credential, now) || credential!.kind !== 'OAUTH_CLIENT') {
      return row ? deleteIn(tx, deps, credential ?? { id: credentialId }, row, audits) : null;
    }
    const live = credential!;
    if (row?.status === 'DELETED') return null; // a deleted client is never registered again: rotate instead
    try {
      const plan = (await readPlanContracts(tx, [live.plan_id], ['jwt_scopes'])).get(live.plan_id);
      const scope = (plan?.jwt_scopes ?? []).join(' ');
      if (!scope)
        throw new IdentityProviderError(
          `plan ${live.plan_id} has no JWT scopes, so no OAuth2 client can be registered for it: give the plan jwtScopes`,
        );
      const ring = keyRingFromEnv(deps.env);

      if (row?.status === 'ACTIVE' && row.client_id) {
        if (row.scope === scope) return null; // registered with the plan's current scopes: nothing to do
        // Plan change: the same client gets the new plan's scopes (RFC 7592 update, full metadata).
        const token = decryptSecret(ring, row.registration_access_token_encrypted!);
        const { status, body } = await call(deps, 'PUT', row.registration_client_uri!, {
          bearer: token,
          body: { client_id: row.client_id, ...clientMetadata(live, scope) },
        });
        if (status !== 200) throw new IdentityProviderError(`updating client ${row.client_id}: ${errorText(status, body)}`);
        audits.push(audit('updateClient', 'UPDATE', live, row.client_id, { issuer: row.issuer, scope }));
        const rotatedToken =
          typeof body.registration_access_token === 'string'
            ? encryptSecret(ring, body.registration_access_token)
            : row.registration_access_token_encrypted;
        await saveClient(tx, credentialId, { scope, registration_access_token_encrypted: rotatedToken, last_error: null });
        return null;
      }

      const providerId = await providerOfPlan(tx, live.plan_id);
      if (!providerId) throw new IdentityProviderError('no provider enforces this plan yet: register a provider first');
      const idp = await identityProviderOf(tx, providerId);
      if (!idp)
        throw new IdentityProviderError(
          `provider ${providerId} names no identity provider: set one with setProviderIdentityProvider, then the client is registered`,
        );
      const endpoint = await registrationEndpoint(deps, idp.issuer);
      const initialToken = idp.initial_access_token_encrypted ? decryptSecret(ring, idp.initial_access_token_encrypted) : null;
      const { status, body } = await call(deps, 'POST', endpoint, { bearer: initialToken, body: clientMetadata(live, scope) });
      if (status !== 201 && status !== 200)
        throw new IdentityProviderError(`registering a client at ${idp.issuer}: ${errorText(status, body)}`);
      if (typeof body?.client_id !== 'string' || typeof body.client_secret !== 'string') {
        throw new IdentityProviderError(`the identity provider ${idp.issuer} registered a client without client_id and client_secret`);
      }
      const clientId: string = body.client_id;
      audits.push(audit('registerClient', 'CREATE', live, clientId, { issuer: idp.issuer, scope, providerId }));
      await saveClient(tx, credentialId, {
        provider_id: providerId,
        issuer: idp.issuer,
        client_id: clientId,
        registration_client_uri: typeof body.registration_client_uri === 'string' ? body.registration_client_uri : null,
        registration_access_token_encrypted:
          typeof body.registration_access_token === 'string' ? encryptSecret(ring, body.registration_access_token) : null,
        scope,
        status: 'ACTIVE',
        last_error: null,
      });
      // The secret goes to developers sealed with ENCRYPTION_KEYS, for the member's one-time reveal.
      await enqueueJob(
        tx,
        CLIENT_REGISTERED_TASK,
        { credentialId, clientId, secretEncrypted: encryptSecret(ring, body.client_secret) },
        { jobKey: `client-registered:${credentialId}` },
      );
      // Live access under the plan now covers its products' APIs: map the plan's scopes there (./scope-sync.ts).
      await enqueuePlanScopeSyncs(tx, live.plan_id);
      return null;
    } catch (error) {
      if (!(error instanceof IdentityProviderError)) throw error;
      deps.log.warn({ credentialId, err: { message: error.message } }, 'OAuth2 client registration failed; retried');
      await saveClient(tx, credentialId, { status: row?.status === 'ACTIVE' ? 'ACTIVE' : 'FAILED', last_error: error.message });
      return error;
    }
  });
}

/** Part of `provider.revokeKey`: deletes the client of a revoked (or rotated-out) credential, if it has one. */
export async function revokeClient(deps: SyncDeps, credentialId: string): Promise<void> {
  await withClient(deps, credentialId, async (tx, audits) => {
    const row = await readClient(tx, credentialId);
    if (!row) return null;
    const credential = await readClientCredential(tx, credentialId);
    const now = deps.clock.now();
    if (!revocationDue(credential, now)) return null; // as for keys
    return deleteIn(tx, deps, credential ?? { id: credentialId }, row, audits);
  });
}
