import { createHmac, timingSafeEqual } from 'node:crypto';
import { defaultPrintFn } from '@graphql-tools/executor-common';
import { GraphQLError, type DocumentNode } from 'graphql';
import { gatewaySharedSecret, gatewaySignatureMaxAgeSeconds, gatewaySignatureRequired } from './config';
import type { Clock } from './clock';

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

/** The parts of a subgraph request the gateway's signature covers besides the claims and the time. */
export interface UpstreamRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/**
 * What the gateway attaches to every subgraph request (HTTP body or graphql-ws `subscribe`
 * payload) under `extensions.plangraph`: the verified claims as a JSON string, the time of
 * signing (`ts`, Unix seconds) and an HMAC with the gateway's shared secret over those and the
 * whole operation — the document exactly as sent, the variables, the operation name. A captured
 * signature is therefore good for that one operation of that one caller only, and only for
 * `GATEWAY_SIGNATURE_MAX_AGE_SECONDS` (default 60 s) after `ts`.
 *
 * The request id is not part of it: identical queries of the same caller within the same second
 * then have identical bodies, and the gateway sends them upstream once (Hive's in-flight
 * deduplication keys on the URL and the body). Calls of different callers never have identical
 * bodies: the claims are in them. The request id travels beside the body with its own HMAC
 * (`signRequestId`) that binds it to the signed request, so it cannot be altered or moved to
 * another request either: over HTTP in the `x-request-id` and `x-plangraph-request-id-sig`
 * headers, bound to the whole body as sent; over graphql-ws (no headers per operation) here as
 * `requestId` and `requestIdSig`, bound to `sig`. A merged call carries the id of the first of the
 * client requests that share it.
 *
 * Why not Hive Gateway's built-in `hmacSignature` (`useHmacUpstreamSignature`): it signs only
 * the document and variables, with no time (so a captured request replays forever) and without
 * our forwarded claims; its checking side (`useHmacSignatureValidation`) is a Yoga plugin
 * (`onParams`) that Apollo Server subgraphs and their graphql-ws server cannot run, so the
 * subgraphs would need their own verifier anyway; and it logs the signature with the signed
 * payload (variables included) at debug level.
 */
export interface ForwardedAuth {
  claims: string | null;
  ts: number;
  sig: string;
  /** Over graphql-ws only (no headers per operation there): the request id and its `signRequestId` HMAC. */
  requestId?: string;
  requestIdSig?: string;
}

/**
 * The request id of a subgraph call as it arrived beside the signed request, with its HMAC
 * (`signRequestId`) and what that HMAC binds it to: the raw HTTP body (over HTTP).
 */
export interface ForwardedRequestId {
  id: string;
  sig: string | null;
  body: string | Buffer;
}

/** The HTTP headers that carry the request id of a subgraph call and its HMAC. */
export const REQUEST_ID_HEADER = 'x-request-id';
export const REQUEST_ID_SIG_HEADER = 'x-plangraph-request-id-sig';

/** JSON with object keys sorted, so the gateway and the subgraph serialise variables alike. */
function canonicalJson(value: unknown): string {
  if (value === undefined || value === null) return '{}';
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

function mac(secret: string, claims: string | null, ts: number, request: UpstreamRequest): string {
  const vars =
    request.variables && typeof request.variables === 'object' && Object.keys(request.variables).length ? request.variables : null;
  const signed = JSON.stringify([
    'plangraph/3',
    ts,
    claims,
    request.operationName || null,
    canonicalJson(vars),
    typeof request.query === 'string' ? request.query : null,
  ]);
  return createHmac('sha256', secret).update(signed).digest('base64url');
}

/**
 * The document as the gateway's transports send it upstream: their default print
 * (`@graphql-tools/executor-common`'s `defaultPrintFn`): the text the document was parsed from
 * when one is known (the Rust query planner's fetches carry the operation text it planned), else
 * `stripIgnoredCharacters(print(document))`, cached per document. The signature covers this text.
 */
export function upstreamPrint(document: DocumentNode): string {
  return defaultPrintFn(document);
}

export function signForwardedAuth(secret: string, claims: Claims | null, request: UpstreamRequest, nowMs: number): ForwardedAuth {
  const json = claims ? JSON.stringify(claims) : null;
  const ts = Math.floor(nowMs / 1000);
  return { claims: json, ts, sig: mac(secret, json, ts, request) };
}

/**
 * The HMAC that binds a request id to one signed subgraph request: to its raw HTTP body (which
 * holds the signature), or over graphql-ws to the signature `sig` itself.
 */
export function signRequestId(secret: string, requestId: string, boundTo: string | Buffer): string {
  return createHmac('sha256', secret).update(`plangraph/request-id\n${requestId}\n`).update(boundTo).digest('base64url');
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Why a request's signature is not good: none at all, wrong (forged, or for another operation), too old, or dated ahead. */
export type SignatureProblem = 'missing' | 'invalid' | 'expired' | 'future';

export interface VerifiedForwardedAuth {
  claims: Claims | null;
  /** The request id, when one came with a good HMAC; null otherwise (the subgraph makes one up). */
  requestId: string | null;
  trusted: boolean;
  problem: SignatureProblem | null;
}

/** A signature may be dated this far ahead of the subgraph's clock (clock skew between hosts). */
const FUTURE_SKEW_SECONDS = 5;

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks the signature against the request it came with and returns the claims; null claims and
 * the `problem` when it is missing, forged, for another operation, older than `maxAgeSeconds`
 * or dated ahead. The request id (`requestId` in the value over graphql-ws, else `options.requestId`
 * from the HTTP headers and body) counts only with its HMAC: without one it is left out (null),
 * with a wrong one the whole request is refused as `invalid`.
 */
export function verifyForwardedAuth(
  secret: string,
  value: unknown,
  request: UpstreamRequest,
  { maxAgeSeconds = 60, nowMs, requestId: given = null }: { maxAgeSeconds?: number; nowMs: number; requestId?: ForwardedRequestId | null },
): VerifiedForwardedAuth {
  const refused = (problem: SignatureProblem): VerifiedForwardedAuth => ({ claims: null, requestId: null, trusted: false, problem });
  if (!value || typeof value !== 'object') return refused('missing');
  const { claims, ts, sig, requestId: inline, requestIdSig } = value as Partial<ForwardedAuth>;
  if (typeof sig !== 'string' || typeof ts !== 'number' || !Number.isInteger(ts)) return refused('invalid');
  if (claims !== null && typeof claims !== 'string') return refused('invalid');
  if (inline !== undefined && (typeof inline !== 'string' || (requestIdSig !== undefined && typeof requestIdSig !== 'string')))
    return refused('invalid');
  if (!sameText(mac(secret, claims ?? null, ts, request), sig)) return refused('invalid');
  const now = Math.floor(nowMs / 1000);
  if (ts > now + FUTURE_SKEW_SECONDS) return refused('future');
  if (now - ts > maxAgeSeconds) return refused('expired');
  const id: ForwardedRequestId | null = inline !== undefined ? { id: inline, sig: requestIdSig ?? null, body: sig } : given;
  let requestId: string | null = null;
  if (id && id.sig !== null) {
    if (!REQUEST_ID.test(id.id) || !sameText(signRequestId(secret, id.id, id.body), id.sig)) return refused('invalid');
    requestId = id.id;
  }
  let parsed: Claims | null = null;
  if (claims) {
    try {
      parsed = JSON.parse(claims) as Claims;
    } catch {
      return refused('invalid');
    }
  }
  return { claims: parsed, requestId, trusted: true, problem: null };
}

const PROBLEMS: Record<SignatureProblem, string> = {
  missing: 'carries no gateway signature',
  invalid: 'carries a gateway signature that does not match it (forged, or made for another operation)',
  expired: 'carries a gateway signature that is too old',
  future: 'carries a gateway signature dated in the future',
};

/** The refusal of a request whose signature is not good (FORBIDDEN, HTTP 403, `reason` = the problem). */
export function untrustedRequest(problem: SignatureProblem): GraphQLError {
  return new GraphQLError(
    `This service answers only requests the Plangraph gateway signed; this one ${PROBLEMS[problem]}. Send operations to the gateway.`,
    {
      extensions: { code: 'FORBIDDEN', reason: `GATEWAY_SIGNATURE_${problem.toUpperCase()}`, http: { status: 403 } },
    },
  );
}

/**
 * A subgraph's check of the gateway signature on each request (HTTP body or graphql-ws
 * `subscribe` payload): the verified claims, or the refusal to answer with — for a wrong, stale or
 * future-dated signature always, for a missing one in production (`gatewaySignatureRequired`).
 */
export function gatewaySignatureCheck(env: NodeJS.ProcessEnv, clock: Clock) {
  const secret = gatewaySharedSecret(env);
  const maxAgeSeconds = gatewaySignatureMaxAgeSeconds(env);
  const required = gatewaySignatureRequired(env);
  return (
    request: UpstreamRequest & { extensions?: { plangraph?: unknown } | null },
    requestId: ForwardedRequestId | null = null,
  ): VerifiedForwardedAuth & { refusal: GraphQLError | null } => {
    const verified = verifyForwardedAuth(secret, request.extensions?.plangraph, request, {
      maxAgeSeconds,
      nowMs: clock.now().getTime(),
      requestId,
    });
    const refused = verified.problem !== null && (verified.problem !== 'missing' || required);
    return { ...verified, refusal: refused ? untrustedRequest(verified.problem!) : null };
  };
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
      Array.isArray(roles)
        ? roles.filter((r): r is string => typeof r === 'string')
        : typeof roles === 'string'
          ? roles.split(/[\s,]+/).filter(Boolean)
          : [],
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
