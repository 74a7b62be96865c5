/**
 * Governance in the provider subgraph: step-up for assignProvider, and the audit trail
 * of every write to Tyk (`tyk.*` entries: policy create/update/delete, reloads, key
 * create/update/delete) — with the key hash as target, never a secret.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { verifyAuditChain } from '../../common/audit';
import { encryptSecret, keyRingFromEnv } from '../../common/crypto';
import { TykTestServer } from '../../test/tyk/server';
import { appendProviderAudits, withJobAttempt, type AuditTrail } from './tyk/audited-client';
import {
  createPlan,
  createProduct,
  enqueue,
  mutate,
  planPolicyIdOf,
  portalAdmin,
  registerTyk,
  startHarness,
  waitFor,
  type Harness,
} from '../../test/kit/provider';

const CONTRACT_COLUMNS =
  'id, app_id, organization_id, plan_id, product_ids, status, expires_at, revokes_at, alias, metadata, pending_secret_encrypted, replaces_credential_id, created_at, version';

/** developers is not started here: a fixture view with the contract's columns stands in for `developers.credential_contract`. */
async function credentialContractFixture(sql: Harness['sql']): Promise<void> {
  const [{ present }] = await sql<{ present: boolean }>(`select to_regclass('developers.credential_contract') is not null as present`);
  if (present) return;
  await sql(`create schema if not exists developers`);
  await sql(`
    create table developers.credential_fixture (
      id uuid primary key, app_id uuid not null, organization_id uuid not null, plan_id uuid not null, product_ids uuid[] not null,
      status text not null, expires_at timestamptz, revokes_at timestamptz, alias text not null, metadata jsonb not null,
      pending_secret_encrypted text, replaces_credential_id uuid, created_at timestamptz not null default now(), version integer not null default 1)`);
  await sql(`create view developers.credential_contract as select ${CONTRACT_COLUMNS} from developers.credential_fixture`);
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

describe('provider: governance', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ with: ['products', 'plans'], beforeProvider: credentialContractFixture });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const entries = (where: string, params: unknown[] = []) =>
    h.sql<any>(
      `select id, actor, action, change, target_type, target_id, organization_id::text as organization_id, before, after, row_to_json(a)::text as raw from platform.audit_log a where subgraph = 'provider' and ${where} order by id`,
      params,
    );

  it('refuses assignProvider without a token that asserts MFA, and changes nothing', async () => {
    const plan = await createPlan(h);
    const ASSIGN = `mutation($input: AssignProviderInput!) { assignProvider(input: $input) { sync { providerId } errors { code } } }`;
    const other = await TykTestServer.start();
    try {
      const otherId = await registerTyk(h, other);
      const refused = await h.gql('provider', ASSIGN, { input: { planId: plan.id, providerId: otherId } }, portalAdmin());
      expect(refused.errors?.[0]?.extensions?.code).toBe('MFA_REQUIRED');
      const [link] = await h.sql('select provider_id from provider.policy_link where kind = ? and subject_id = ?', ['PLAN', plan.id]);
      expect(link?.provider_id ?? h.providerId).toBe(h.providerId);
      const allowed = await h.gql('provider', ASSIGN, { input: { planId: plan.id, providerId: otherId } }, h.admin);
      expect(allowed.data.assignProvider).toMatchObject({ errors: [], sync: { providerId: otherId } });
    } finally {
      await other.stop();
    }
  });

  it('records every write to Tyk as a tyk.* entry, without any secret', async () => {
    // Policies: created (and the gateway reloaded) for a new plan, updated on a change, deleted with the draft.
    const plan = await createPlan(h, { quota: { requests: 10, period: 'DAY' } });
    const policyId = planPolicyIdOf(plan.id);
    await waitFor(() => h.tyk.policy(policyId), { timeoutMs: 15_000, what: 'the plan policy' });
    const created = await waitFor(
      async () => (await entries(`target_id = ?`, [policyId])).find((e: any) => e.action === 'tyk.createPolicy'),
      { what: 'the createPolicy entry' },
    );
    expect(created).toMatchObject({
      actor: 'system',
      change: 'CALL',
      target_type: 'TykPolicy',
      after: { providerId: h.providerId, result: 'ok', body: { id: policyId, quota_max: 10, name: plan.name } },
    });
    const reloads = await entries(`action = 'tyk.reload' and target_id = ? and id > ?`, [h.providerId, created.id]);
    expect(reloads[0]).toMatchObject({ target_type: 'TykGateway', after: { providerId: h.providerId, result: 'ok', body: null } });

    await mutate(h, 'plans', 'updatePlan', 'UpdatePlanInput', 'plan { id }', { id: plan.id, quota: { requests: 20, period: 'DAY' } });
    const updated = await waitFor(async () => (await entries(`target_id = ? and action = 'tyk.updatePolicy'`, [policyId]))[0], {
      timeoutMs: 15_000,
      what: 'the updatePolicy entry',
    });
    expect(updated.after.body.quota_max).toBe(20);
    await mutate(h, 'plans', 'deletePlan', 'DeletePlanInput', 'deletedPlanId', { id: plan.id });
    const deleted = await waitFor(async () => (await entries(`target_id = ? and action = 'tyk.deletePolicy'`, [policyId]))[0], {
      timeoutMs: 15_000,
      what: 'the deletePolicy entry',
    });
    expect(deleted.after).toMatchObject({ result: 'deleted', body: null });

    // Keys: created (target = Tyk's key hash, the organization from the key's metadata), then deleted.
    const keyPlan = await createPlan(h);
    const product = await createProduct(h);
    const credentialId = randomUUID();
    const organizationId = randomUUID();
    const secret = `pgk_${[...randomBytes(40)].map((b) => BASE62[b % 62]).join('')}`;
    await h.sql(
      `insert into developers.credential_fixture (id, app_id, organization_id, plan_id, product_ids, status, alias, metadata, pending_secret_encrypted)
       values (?, ?, ?, ?, ?::uuid[], 'ACTIVE', ?, ?::jsonb, ?)`,
      [
        credentialId,
        randomUUID(),
        organizationId,
        keyPlan.id,
        `{${product.id}}`,
        `App (${secret.slice(0, 12)})`,
        JSON.stringify({ OrganisationID: organizationId }),
        encryptSecret(keyRingFromEnv(), secret),
      ],
    );
    await enqueue(h, 'provider.issueKey', { credentialId }, `key:${credentialId}`);
    const key = await waitFor(
      async () =>
        (await h.sql(`select key_hash from provider.credential_key where credential_id = ? and status = 'ACTIVE'`, [credentialId]))[0],
      { timeoutMs: 15_000, what: 'the key' },
    );
    const [createKey] = await entries(`action = 'tyk.createKey' and target_id = ?`, [key.key_hash]);
    expect(createKey).toMatchObject({
      target_type: 'TykKey',
      organization_id: organizationId,
      after: { providerId: h.providerId, result: 'ok', body: { apply_policies: expect.any(Array) } },
    });
    await h.sql(`update developers.credential_fixture set status = 'REVOKED' where id = ?`, [credentialId]);
    await enqueue(h, 'provider.revokeKey', { credentialId }, `revoke:${credentialId}`);
    const deleteKey = await waitFor(async () => (await entries(`action = 'tyk.deleteKey' and target_id = ?`, [key.key_hash]))[0], {
      timeoutMs: 15_000,
      what: 'the deleteKey entry',
    });
    expect(deleteKey).toMatchObject({ target_type: 'TykKey', organization_id: organizationId, after: { result: 'deleted' } });

    // Nothing secret anywhere: not the provider's admin secret, not the credential's secret (the key id).
    const all = (await entries(`true`)).map((e: any) => e.raw).join('\n');
    expect(all).toContain('tyk.createKey');
    expect(all).not.toContain(secret);
    expect(all).not.toContain(h.tyk.secret);
    expect(await verifyAuditChain(h.provider.orm.em.fork())).toMatchObject({ valid: true });
  });

  it('records a failed write only when it is final: the first of a streak and the last retry, not every attempt', async () => {
    const target = `pg-plan-${randomUUID().replace(/-/g, '')}`;
    const failed = (attempt: number): AuditTrail => [
      {
        action: 'tyk.updatePolicy',
        change: 'CALL',
        targetType: 'TykPolicy',
        targetId: target,
        organizationId: null,
        before: null,
        after: { providerId: h.providerId, body: { attempt }, result: { error: 'connect ECONNREFUSED', status: null } },
      },
    ];
    // A provider unreachable for 30 attempts of a job with max_attempts 30: the sync row's streak
    // grows 1..30 while the job retries; each attempt appends its trail as sync code does.
    const maxAttempts = 30;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      await withJobAttempt({ attempts: attempt, max_attempts: maxAttempts }, () =>
        h.provider.orm.em.fork().transactional((tx) => appendProviderAudits(tx, failed(attempt), attempt)),
      );
    }
    const rows = await entries(`target_id = ?`, [target]);
    expect(rows.map((e: any) => e.after.body.attempt)).toEqual([1, maxAttempts]);
    expect(rows[0].after.result).toEqual({ error: 'connect ECONNREFUSED', status: null });

    // Writes that happened are always recorded, also mid-streak; outside a job every failure is final.
    const ok: AuditTrail = [
      {
        action: 'tyk.reload',
        change: 'CALL',
        targetType: 'TykGateway',
        targetId: target,
        organizationId: null,
        before: null,
        after: { providerId: h.providerId, body: null, result: 'ok' },
      },
    ];
    await withJobAttempt({ attempts: 3, max_attempts: maxAttempts }, () =>
      h.provider.orm.em.fork().transactional((tx) => appendProviderAudits(tx, [...failed(99), ...ok], 3)),
    );
    await h.provider.orm.em.fork().transactional((tx) => appendProviderAudits(tx, failed(100), 7));
    expect((await entries(`target_id = ?`, [target])).map((e: any) => [e.action, e.after.body?.attempt ?? null])).toEqual([
      ['tyk.updatePolicy', 1],
      ['tyk.updatePolicy', maxAttempts],
      ['tyk.reload', null],
      ['tyk.updatePolicy', 100],
    ]);
  });
});
