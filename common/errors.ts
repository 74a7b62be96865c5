import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { safeError, scrubText, type Logger } from './logger';

/**
 * An expected failure of a mutation, returned in its payload's `errors` list. Frontends switch
 * on `code` (stable), point at `field` and show `message`.
 */
@ObjectType({ description: 'An expected failure of a mutation: what went wrong, where, and what to do.' })
@Directive('@shareable')
export class UserError {
  @Field(() => String, { description: 'Stable machine-readable code, e.g. `VALIDATION_FAILED`, `ALREADY_EXISTS`, `NOT_FOUND`.' })
  code!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Path of the offending input field, e.g. `input.slug`; null when the whole request is at fault.',
  })
  field!: string | null;

  @Field(() => String, { description: 'Human-readable explanation that says what to do.' })
  message!: string;

  @Field(() => Int, { nullable: true, description: 'Seconds to wait before retrying, for limits; null otherwise.' })
  retryAfter!: number | null;
}

export function userError(code: string, field: string | null, message: string, retryAfter: number | null = null): UserError {
  return Object.assign(new UserError(), { code, field, message, retryAfter });
}

/** Thrown inside a mutation to abort its transaction and return the error in the payload. */
export class UserErrorException extends Error {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

/** A GraphQL error for bad arguments of queries (mutations return UserError instead). */
/**
 * A refused mutation as the exception `runMutation` turns into the payload's `errors` (nothing is
 * written): `throw refusal(...)`. `refuse(...)` throws it itself, for code that reads better
 * without the `throw`.
 */
export function refusal(code: string, field: string | null, message: string, retryAfter: number | null = null): UserErrorException {
  return new UserErrorException([userError(code, field, message, retryAfter)]);
}

export function refuse(code: string, field: string | null, message: string, retryAfter: number | null = null): never {
  throw refusal(code, field, message, retryAfter);
}

/** FORBIDDEN, with the organization role that would have been enough when there is one. */
export function forbidden(message: string, requiredRole?: string): GraphQLError {
  return new GraphQLError(message, { extensions: requiredRole ? { code: 'FORBIDDEN', requiredRole } : { code: 'FORBIDDEN' } });
}

export function badInput(field: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field } });
}

export function notFound(what: string, field = 'id'): GraphQLError {
  return new GraphQLError(`${what} not found.`, { extensions: { code: 'NOT_FOUND', field } });
}

/** Codes that may reach clients as they are; everything else is masked. */
const PUBLIC_CODES = new Set([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'RATE_LIMITED',
  'MFA_REQUIRED',
]);

export const MASKED_MESSAGE = 'Internal server error. Quote the requestId when you report it.';

/** Seconds a client should wait before retrying while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
export const DATABASE_UNAVAILABLE_MESSAGE = 'The service cannot reach its database right now; retry in a moment.';

/** SQLSTATEs of a lost or refused connection (class 08, shutdown and start-up states of 57P). */
const UNAVAILABLE_SQLSTATES = /^(08\d\d\d|57P0[1-4]|53300)$/;
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection (?:ended|closed)|Timeout acquiring a connection|Client has encountered a connection error|terminating connection|the database system is (?:starting up|shutting down)/i;

/**
 * True when an error only says that the database could not be reached (refused, cut, restarting,
 * pool exhausted while it is away): the request may be retried as it is.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    const e = current as {
      name?: unknown;
      message?: unknown;
      code?: unknown;
      originalError?: unknown;
      cause?: unknown;
      previous?: unknown;
      thrownValue?: unknown;
    };
    if (e.name === 'ConnectionException') return true;
    if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATES.test(e.code) || UNAVAILABLE_ERRNOS.has(e.code))) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
    // graphql-js wraps a thrown non-Error (the pool rejects with plain objects) as NonErrorThrown.
    current = e.originalError ?? e.cause ?? e.previous ?? e.thrownValue;
  }
  return false;
}

/** The error a client gets while the database is unreachable (retryable, with `retryAfter`). */
export function databaseUnavailable(path?: readonly (string | number)[]): GraphQLFormattedError {
  return {
    message: DATABASE_UNAVAILABLE_MESSAGE,
    ...(path ? { path } : {}),
    extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: DATABASE_RETRY_AFTER_SECONDS },
  };
}

/** True when the thrown value was meant for the client. */
export function isPublicError(error: unknown): boolean {
  const candidates = [error, unwrapResolverError(error)];
  return candidates.some((candidate) => {
    if (!(candidate instanceof GraphQLError)) return false;
    if (candidate.originalError && !(candidate.originalError instanceof GraphQLError)) return false;
    const code = candidate.extensions?.code;
    return typeof code === 'string' && PUBLIC_CODES.has(code);
  });
}

/**
 * Apollo `formatError`: public errors pass without stack traces, anything else becomes a masked
 * `INTERNAL_SERVER_ERROR` (logged by the request-logging plugin with its request id).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (isPublicError(error)) {
    const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions: { ...extensions, code: extensions.code ?? 'BAD_REQUEST' } };
  }
  if (isDatabaseUnavailable(unwrapResolverError(error))) return { ...databaseUnavailable(formatted.path), locations: formatted.locations };
  return { message: MASKED_MESSAGE, locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/**
 * Logs an unexpected error with its request id: for a database error its class, SQLSTATE,
 * constraint and stack frames, never the statement, its values or the driver's message.
 */
export function logUnexpected(log: Logger, error: unknown, requestId: string | null, operation?: string | null): void {
  const original = unwrapResolverError(error);
  if (isDatabaseUnavailable(original)) {
    log.warn({ err: { message: scrubText(String((original as Error)?.message)) }, requestId, operation }, 'database unavailable');
    return;
  }
  log.error({ err: safeError(original), requestId, operation }, 'unexpected error');
}
