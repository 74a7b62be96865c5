import { Caller, signForwardedAuth, signRequestId, verifyForwardedAuth } from './auth';

describe('forwarded identity', () => {
  const request = { query: 'query($id:ID!){plan(id:$id){id}}', variables: { id: 'p-1' }, operationName: null };
  const t = Date.UTC(2026, 0, 1);

  it('accepts claims signed with the shared secret for that operation and refuses anything altered', () => {
    const signed = signForwardedAuth('s', { sub: 'alice', roles: ['portal_admin'] }, request, t);
    expect(verifyForwardedAuth('s', signed, request, { nowMs: t })).toEqual({
      claims: { sub: 'alice', roles: ['portal_admin'] },
      requestId: null,
      trusted: true,
      problem: null,
    });
    // Variables in another key order are the same variables.
    expect(verifyForwardedAuth('s', signed, { ...request, variables: JSON.parse('{"id":"p-1"}') }, { nowMs: t }).trusted).toBe(true);
    expect(verifyForwardedAuth('other', signed, request, { nowMs: t }).claims).toBeNull();
    const tampered = { ...signed, claims: JSON.stringify({ sub: 'alice', roles: ['portal_admin', 'service'] }) };
    expect(verifyForwardedAuth('s', tampered, request, { nowMs: t })).toMatchObject({ claims: null, problem: 'invalid' });
    expect(verifyForwardedAuth('s', undefined, request, { nowMs: t }).problem).toBe('missing');
  });

  it('signs the same call of the same caller in the same second alike, and calls of different callers differently', () => {
    // Identical bodies are what lets the gateway send identical in-flight queries upstream once.
    const alice = { sub: 'alice', roles: ['developer'], iat: 1, exp: 2 };
    expect(signForwardedAuth('s', alice, request, t)).toEqual(signForwardedAuth('s', { ...alice }, request, t + 999));
    expect(signForwardedAuth('s', alice, request, t).sig).not.toBe(signForwardedAuth('s', alice, request, t + 1000).sig);
    for (const other of [{ ...alice, sub: 'bob' }, { ...alice, roles: ['portal_admin'] }, { ...alice, exp: 3 }, null]) {
      const a = signForwardedAuth('s', alice, request, t);
      const b = signForwardedAuth('s', other, request, t);
      expect(JSON.stringify(b)).not.toBe(JSON.stringify(a));
      expect(b.sig).not.toBe(a.sig);
    }
  });

  it('takes the request id only with its HMAC over the signed request, and refuses one altered or moved', () => {
    const signed = signForwardedAuth('s', { sub: 'alice' }, request, t);
    const body = JSON.stringify({ ...request, extensions: { plangraph: signed } });
    const header = { id: 'req-1', sig: signRequestId('s', 'req-1', body), body };
    expect(verifyForwardedAuth('s', signed, request, { nowMs: t, requestId: header })).toMatchObject({ trusted: true, requestId: 'req-1' });
    // Another id with the same HMAC, the HMAC of another body, or one made with another secret.
    for (const forged of [
      { ...header, id: 'req-2' },
      { ...header, body: JSON.stringify({ ...request, variables: { id: 'p-2' }, extensions: { plangraph: signed } }) },
      { ...header, sig: signRequestId('other', 'req-1', body) },
    ]) {
      expect(verifyForwardedAuth('s', signed, request, { nowMs: t, requestId: forged })).toMatchObject({
        trusted: false,
        claims: null,
        problem: 'invalid',
      });
    }
    // An id without an HMAC is not taken (the subgraph makes one up); the request itself stays good.
    expect(verifyForwardedAuth('s', signed, request, { nowMs: t, requestId: { ...header, sig: null } })).toMatchObject({
      trusted: true,
      requestId: null,
    });
    // Over graphql-ws the id rides in the payload, bound to the signature.
    const ws = { ...signed, requestId: 'req-3', requestIdSig: signRequestId('s', 'req-3', signed.sig) };
    expect(verifyForwardedAuth('s', ws, request, { nowMs: t })).toMatchObject({ trusted: true, requestId: 'req-3' });
    expect(verifyForwardedAuth('s', { ...ws, requestId: 'req-4' }, request, { nowMs: t }).problem).toBe('invalid');
  });

  it('binds the signature to the document, variables and operation name', () => {
    const signed = signForwardedAuth('s', { sub: 'alice' }, request, t);
    for (const other of [
      { ...request, query: 'query($id:ID!){provider(id:$id){id}}' },
      { ...request, variables: { id: 'p-2' } },
      { ...request, variables: { id: 'p-1', more: 1 } },
      { ...request, operationName: 'Other' },
    ]) {
      expect(verifyForwardedAuth('s', signed, other, { nowMs: t })).toMatchObject({ trusted: false, claims: null, problem: 'invalid' });
    }
  });

  it('refuses signatures older than the window or dated ahead', () => {
    const signed = signForwardedAuth('s', { sub: 'alice' }, request, t);
    expect(verifyForwardedAuth('s', signed, request, { nowMs: t + 60_000, maxAgeSeconds: 60 }).trusted).toBe(true);
    expect(verifyForwardedAuth('s', signed, request, { nowMs: t + 61_000, maxAgeSeconds: 60 }).problem).toBe('expired');
    expect(verifyForwardedAuth('s', signed, request, { nowMs: t - 60_000 }).problem).toBe('future');
  });

  it('derives roles from the configured claim and refuses by role', () => {
    const admin = new Caller({ sub: 'a', roles: ['portal_admin'] });
    expect(admin.isPortalAdmin).toBe(true);
    expect(admin.requirePortalAdmin()).toBe('a');
    const dev = new Caller({ sub: 'd', groups: 'portal_admin' }, 'roles');
    expect(dev.isPortalAdmin).toBe(false);
    expect(() => dev.requirePortalAdmin()).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }));
    const viaGroups = new Caller({ sub: 'g', groups: 'portal_admin other' }, 'groups');
    expect(viaGroups.isPortalAdmin).toBe(true);
    const anonymous = new Caller(null);
    expect(() => anonymous.requireAuthenticated()).toThrow(expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } }));
    expect(new Caller({ roles: ['portal_admin'] }).isPortalAdmin).toBe(false);
  });

  it('recognises multi-factor authentication from amr or a configured claim', () => {
    expect(new Caller({ sub: 'a', amr: ['pwd', 'mfa'] }).hasMfa).toBe(true);
    expect(new Caller({ sub: 'a', amr: ['pwd'] }).hasMfa).toBe(false);
    expect(new Caller({ sub: 'a', acr_mfa: true }, 'roles', 'acr_mfa').hasMfa).toBe(true);
    expect(new Caller({ amr: ['mfa'] }).hasMfa).toBe(false);
    expect(() => new Caller({ sub: 'a' }).requireMfa('Deleting a plan')).toThrow(
      expect.objectContaining({ extensions: { code: 'MFA_REQUIRED' }, message: expect.stringMatching(/^Deleting a plan needs/) }),
    );
  });
});
