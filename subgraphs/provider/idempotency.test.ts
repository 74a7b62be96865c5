/**
 * `idempotencyKey` on registerProvider: a retry by the same portal admin within 24 hours returns
 * the first provider and enqueues no second sync; the same key with other input — the admin secret
 * included — is IDEMPOTENCY_KEY_REUSED; another admin's key of the same text is their own. The
 * secret is never kept with the key, not even inside the input's hash.
 */
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { canonicalInput, requestHash } from '../../common/idempotency';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { portalAdmin, subgraphRequest, type Identity } from '../../test/helpers/graphql';
import { providerSubgraph } from '.';

const FIELDS = 'id name kind baseUrl tykOrgId policyTags isDefault hasSecret createdAt';
const REGISTER = `mutation($input: RegisterProviderInput!) {
  registerProvider(input: $input) { provider { ${FIELDS} } errors { code field } }
}`;
const UPDATE = `mutation($input: UpdateProviderInput!) { updateProvider(input: $input) { provider { id } errors { code field } } }`;

const mfaAdmin = (): Identity => ({ ...portalAdmin(), amr: ['pwd', 'mfa'] });

describe('provider: idempotent registerProvider', () => {
  let subgraph: RunningSubgraph;
  const admin = mfaAdmin();
  /** Every response body, to check no secret ever comes back. */
  const bodies: string[] = [];

  beforeAll(async () => {
    subgraph = await startSubgraph(providerSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
  });
  afterAll(async () => {
    await subgraph?.stop();
  });

  const sql = (text: string, params: unknown[] = []) => subgraph.orm.em.getConnection().execute<any[]>(text, params);
  async function run(query: string, name: string, input: Record<string, unknown>, as: Identity = admin) {
    const response = await subgraphRequest(subgraph.url, query, { input }, as);
    bodies.push(JSON.stringify(response));
    expect(response.errors).toBeUndefined();
    return response.data![name];
  }
  const providersNamed = async (name: string) =>
    (await sql('select count(*)::int as n from provider.provider where name = ?', [name]))[0].n as number;

  it('returns the first provider on a retry: one provider, one sync job; other input or another secret is refused; callers are isolated', async () => {
    const name = unique('idem-tyk');
    const secret = `s3cret-${unique('gw')}`;
    const input = {
      name,
      kind: 'TYK_GATEWAY',
      baseUrl: 'https://tyk.example.com:8080',
      secret,
      tykOrgId: 'org-1',
      idempotencyKey: `provider-${name}`,
    };
    const first = await run(REGISTER, 'registerProvider', input);
    expect(first.errors).toEqual([]);
    const id = first.provider.id;
    // Normalised like the stored values: a trailing slash, spaces, the default tags spelled out.
    const retry = await run(REGISTER, 'registerProvider', {
      ...input,
      name: ` ${name} `,
      baseUrl: 'https://tyk.example.com:8080/',
      policyTags: ['plangraph'],
      makeDefault: null,
    });
    expect(retry).toEqual(first);
    expect(await providersNamed(name)).toBe(1);
    expect(await sql('select revision from graphile_worker._private_jobs where key = ?', [`provider-sync:${id}`])).toEqual([
      { revision: 0 },
    ]);

    const reused = [{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }];
    expect(await run(REGISTER, 'registerProvider', { ...input, tykOrgId: 'org-2' })).toEqual({ provider: null, errors: reused });
    expect(await run(REGISTER, 'registerProvider', { ...input, secret: `${secret}-other` })).toEqual({ provider: null, errors: reused });
    expect(await providersNamed(name)).toBe(1);

    // Another admin's key of the same text is theirs: the same input is judged on its own (the name is taken).
    const byOther = await run(REGISTER, 'registerProvider', input, mfaAdmin());
    expect(byOther.errors).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.name' }]);

    // The key's row holds no trace of the secret: its hash covers the input without it.
    const rows = await sql('select request_hash, result_id, result_secret_encrypted from provider.idempotency_key where key = ?', [
      input.idempotencyKey,
    ]);
    expect(rows).toEqual([
      {
        request_hash: requestHash(
          canonicalInput({
            name,
            kind: 'TYK_GATEWAY',
            baseUrl: input.baseUrl,
            tykOrgId: 'org-1',
            policyTags: ['plangraph'],
            makeDefault: false,
          }),
        ),
        result_id: id,
        result_secret_encrypted: null,
      },
    ]);
    expect(bodies.filter((body) => body.includes(secret))).toEqual([]);

    // The secret is compared with the provider's own: once it was changed, the old one no longer replays.
    expect((await run(UPDATE, 'updateProvider', { id, secret: `${secret}-rotated` })).errors).toEqual([]);
    expect(await run(REGISTER, 'registerProvider', input)).toEqual({ provider: null, errors: reused });
    expect(await providersNamed(name)).toBe(1);
  });

  it('refuses a malformed key and stores nothing for a failed call', async () => {
    const name = unique('idem-tyk');
    const input = { name, kind: 'TYK_GATEWAY', baseUrl: 'https://tyk.example.com', secret: 's', tykOrgId: 'org-1' };
    const malformed = await run(REGISTER, 'registerProvider', { ...input, idempotencyKey: 'has space' });
    expect(malformed.errors).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.idempotencyKey' }]);
    const key = `failed-${name}`;
    const invalid = await run(REGISTER, 'registerProvider', { ...input, tykOrgId: 'not valid!', idempotencyKey: key });
    expect(invalid.errors).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.tykOrgId' }]);
    expect(await sql('select key from provider.idempotency_key where key = ?', [key])).toEqual([]);
    const fixed = await run(REGISTER, 'registerProvider', { ...input, idempotencyKey: key });
    expect(fixed.errors).toEqual([]);
    expect(await providersNamed(name)).toBe(1);
  });
});
