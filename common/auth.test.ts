import { Caller, signForwardedAuth, verifyForwardedAuth } from './auth';

describe('forwarded identity', () => {
  const request = { query: 'query($id:ID!){plan(id:$id){id}}', variables: { id: 'p-1' }, operationName: null };
  const t = Date.UTC(2026, 0, 1);

  it('accepts claims signed with the shared secret for that operation and refuses anything altered', () => {
    const signed = signForwardedAuth('s', { sub: 'alice', roles: ['portal_admin'] }, 'req-1', request, t);
    expect(verifyForwardedAuth('s', signed, request, { nowMs: t })).toEqual({
      claims: { sub: 'alice', roles: ['portal_admin'] },
      requestId: 'req-1',
      trusted: true,
      problem: null,
    });
    // Variables in another key order are the same variables.
    expect(verifyForwardedAuth('s', signed, { ...request, variables: JSON.parse('{"id":"p-1"}') }, { nowMs: t }).trusted).toBe(true);
    expect(verifyForwardedAuth('other', signed, request, { nowMs: t }).claims).toBeNull();
    const tampered = { ...signed, claims: JSON.stringify({ sub: 'alice', roles: ['portal_admin', 'service'] }) };
    expect(verifyForwardedAuth('s', tampered, request, { nowMs: t })).toMatchObject({ claims: null, problem: 'invalid' });
    expect(verifyForwardedAuth('s', { ...signed, requestId: 'req-2' }, request, { nowMs: t }).trusted).toBe(false);
    expect(verifyForwardedAuth('s', undefined, request, { nowMs: t }).problem).toBe('missing');
  });

  it('binds the signature to the document, variables and operation name', () => {
    const signed = signForwardedAuth('s', { sub: 'alice' }, 'req-1', request, t);
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
    const signed = signForwardedAuth('s', { sub: 'alice' }, 'req-1', request, t);
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
