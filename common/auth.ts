import { createHmac, timingSafeEqual } from 'node:crypto';
import { GraphQLError } from 'graphql';

/** Platform roles carried by the token. Organization roles live in the developers subgraph. */
export const PLATFORM_ROLES = ['portal_admin', 'service'] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

/** Claims of a verified token as the gateway forwards them. */
export interface Claims {
  sub?: string;
  email?: string;
  roles?: string[];
  amr?: string[];
  [claim: string]: unknown;
}

/**
 * What the gateway attaches to every subgraph request (HTTP body or graphql-ws `subscribe`
 * payload) under `extensions.plangraph`: the verified claims as a JSON string, the request id
 * and an HMAC over both with the gateway's shared secret. Subgraphs ignore claims without a
 * valid signature, so a client that reaches a subgraph directly is anonymous.
 */
export interface ForwardedAuth {
  claims: string | null;
  requestId: string;
  sig: string;
}

function mac(secret: string, requestId: string, claims: string | null): string {
  return createHmac('sha256', secret)
    .update(`${requestId}\n${claims ?? ''}`)
    .digest('base64url');
}

export function signForwardedAuth(secret: string, claims: Claims | null, requestId: string): ForwardedAuth {
  const json = claims ? JSON.stringify(claims) : null;
  return { claims: json, requestId, sig: mac(secret, requestId, json) };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Checks the signature and returns the claims, or null claims when missing or forged. */
export function verifyForwardedAuth(
  secret: string,
  value: unknown,
): { claims: Claims | null; requestId: string | null; trusted: boolean } {
  if (!value || typeof value !== 'object') return { claims: null, requestId: null, trusted: false };
  const { claims, requestId, sig } = value as Partial<ForwardedAuth>;
  if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId) || typeof sig !== 'string') {
    return { claims: null, requestId: null, trusted: false };
  }
  if (claims !== null && typeof claims !== 'string') return { claims: null, requestId: null, trusted: false };
  const expected = Buffer.from(mac(secret, requestId, claims ?? null));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { claims: null, requestId: null, trusted: false };
  }
  let parsed: Claims | null = null;
  if (claims) {
    try {
      parsed = JSON.parse(claims) as Claims;
    } catch {
      return { claims: null, requestId, trusted: false };
    }
  }
  return { claims: parsed, requestId, trusted: true };
}

/** The caller as every resolver sees it. Built only from verified claims. */
export class Caller {
  readonly subject: string | null;
  readonly email: string | null;
  readonly roles: ReadonlySet<string>;

  constructor(
    readonly claims: Claims | null,
    rolesClaim = 'roles',
    /** Claim that asserts multi-factor authentication besides `amr` containing `mfa` (e.g. `mfa`, true). */
    private readonly mfaClaim: string | null = null,
  ) {
    const sub = claims?.sub;
    this.subject = typeof sub === 'string' && sub.length > 0 ? sub : null;
    this.email = typeof claims?.email === 'string' ? claims.email : null;
    const roles = claims?.[rolesClaim];
    this.roles = new Set(
      Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : typeof roles === 'string' ? roles.split(/[\s,]+/).filter(Boolean) : [],
    );
  }

  get isAnonymous(): boolean {
    return this.subject === null;
  }

  get isPortalAdmin(): boolean {
    return !this.isAnonymous && this.roles.has('portal_admin');
  }

  get isService(): boolean {
    return !this.isAnonymous && this.roles.has('service');
  }

  /** True when the token asserts multi-factor authentication (`amr` has `mfa`, or the configured claim is true). */
  get hasMfa(): boolean {
    if (this.isAnonymous) return false;
    const amr = this.claims?.amr;
    if (Array.isArray(amr) && amr.includes('mfa')) return true;
    if (this.mfaClaim) {
      const value = this.claims?.[this.mfaClaim];
      return value === true || value === 'true';
    }
    return false;
  }

  /**
   * Step-up for sensitive operations: throws MFA_REQUIRED unless the token asserts
   * multi-factor authentication. Call after the role check.
   */
  requireMfa(what: string): void {
    if (!this.hasMfa) {
      throw new GraphQLError(`${what} needs a token that asserts multi-factor authentication: sign in again with MFA and retry.`, {
        extensions: { code: 'MFA_REQUIRED' },
      });
    }
  }

  /** Throws UNAUTHENTICATED for anonymous callers; returns the subject. */
  requireAuthenticated(): string {
    if (this.subject === null) {
      throw new GraphQLError('Sign in: this operation needs a bearer token.', {
        extensions: { code: 'UNAUTHENTICATED' },
      });
    }
    return this.subject;
  }

  /** Throws unless the caller is a portal admin. */
  requirePortalAdmin(): string {
    const subject = this.requireAuthenticated();
    if (!this.roles.has('portal_admin')) {
      throw new GraphQLError('Only portal admins may do this.', {
        extensions: { code: 'FORBIDDEN', requiredRole: 'portal_admin' },
      });
    }
    return subject;
  }
}
