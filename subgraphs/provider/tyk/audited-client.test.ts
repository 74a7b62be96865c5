import { auditedClient, type AuditTrail } from './audited-client';
import type { TykClient } from './client';
import { ProviderError } from './errors';
import type { TykPolicy } from './types';
import { createLogger } from '../../../common/logger';

/** The audit wrapper on its own: what each write records, failures included; reads record nothing. */
describe('auditedClient', () => {
  const calls: string[] = [];
  const inner: TykClient = {
    kind: 'TYK_GATEWAY',
    listPolicies: async () => [],
    getPolicy: async () => null,
    getKey: async () => null,
    getApi: async () => null,
    updateApi: async (api) => {
      calls.push(`api ${api.apiId}`);
    },
    createPolicy: async (policy) => {
      calls.push(`create ${policy.id}`);
      if (policy.id === 'refused') throw new ProviderError(400, 'Policy write refused', false, 'createPolicy');
    },
    updatePolicy: async () => undefined,
    deletePolicy: async () => 'absent',
    reload: async () => undefined,
    createKey: async (customKeyId) => {
      calls.push(`key ${customKeyId}`);
      return { keyHash: 'hash-1' };
    },
    setKeyPolicies: async () => undefined,
    deleteKey: async () => 'deleted',
  };
  const fork = () => {
    throw new Error('a trail was given: nothing is written directly');
  };
  const policy = (id: string) => ({ id, name: id, org_id: 'o' }) as TykPolicy;

  it('records writes into the trail, with target, body and result, and rethrows failures', async () => {
    const trail: AuditTrail = [];
    const client = auditedClient(inner, { providerId: 'p-1', fork: fork as never, log: createLogger('test', 'fatal'), trail });
    await client.listPolicies();
    await client.getPolicy('x');
    await client.getKey('hash-1');
    expect(trail).toEqual([]);

    await client.createPolicy(policy('gold'));
    await expect(client.createPolicy(policy('refused'))).rejects.toThrow('Policy write refused');
    expect(await client.deletePolicy('gone')).toBe('absent');
    await client.reload();
    const secretKeyId = 'pgk_THE_SECRET_KEY_ID_0123456789';
    await client.createKey(secretKeyId, {
      apply_policies: ['gold'],
      meta_data: { OrganisationID: '3f1c1f8e-9d0e-4a57-8a43-5e2a7e0b6a11' },
    });
    await client.setKeyPolicies('hash-1', ['silver']);
    await client.deleteKey('hash-1');

    expect(trail.map((e) => [e.action, e.targetType, e.targetId])).toEqual([
      ['tyk.createPolicy', 'TykPolicy', 'gold'],
      ['tyk.createPolicy', 'TykPolicy', 'refused'],
      ['tyk.deletePolicy', 'TykPolicy', 'gone'],
      ['tyk.reload', 'TykGateway', 'p-1'],
      ['tyk.createKey', 'TykKey', 'hash-1'],
      ['tyk.updateKey', 'TykKey', 'hash-1'],
      ['tyk.deleteKey', 'TykKey', 'hash-1'],
    ]);
    expect(trail.every((e) => e.change === 'CALL')).toBe(true);
    expect(trail[0]!.after).toEqual({ providerId: 'p-1', body: policy('gold'), result: 'ok' });
    expect(trail[1]!.after).toMatchObject({ result: { error: 'Policy write refused', status: 400 } });
    expect(trail[2]!.after).toMatchObject({ body: null, result: 'absent' });
    expect(trail[4]!.organizationId).toBe('3f1c1f8e-9d0e-4a57-8a43-5e2a7e0b6a11');
    expect(trail[5]!.after).toMatchObject({ body: { apply_policies: ['silver'] } });
    // The key id (the credential's secret) goes to Tyk and nowhere else.
    expect(calls).toContain(`key ${secretKeyId}`);
    expect(JSON.stringify(trail)).not.toContain(secretKeyId);
  });

  it('records nothing for a Dashboard reload (nothing is sent)', async () => {
    const trail: AuditTrail = [];
    const client = auditedClient(
      { ...inner, kind: 'TYK_DASHBOARD' },
      { providerId: 'p-2', fork: fork as never, log: createLogger('test', 'fatal'), trail },
    );
    await client.reload();
    expect(trail).toEqual([]);
  });
});
