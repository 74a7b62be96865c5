import { Caller, signForwardedAuth, verifyForwardedAuth } from './auth';

describe('forwarded identity', () => {
  it('accepts claims signed with the shared secret and refuses anything altered', () => {
    const signed = signForwardedAuth('s', { sub: 'alice', roles: ['portal_admin'] }, 'req-1');
    expect(verifyForwardedAuth('s', signed)).toEqual({ claims: { sub: 'alice', roles: ['portal_admin'] }, requestId: 'req-1', trusted: true });
    expect(verifyForwardedAuth('other', signed).claims).toBeNull();
    const tampered = { ...signed, claims: JSON.stringify({ sub: 'alice', roles: ['portal_admin', 'service'] }) };
    expect(verifyForwardedAuth('s', tampered).claims).toBeNull();
    expect(verifyForwardedAuth('s', { ...signed, requestId: 'req-2' }).trusted).toBe(false);
    expect(verifyForwardedAuth('s', undefined).trusted).toBe(false);
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
