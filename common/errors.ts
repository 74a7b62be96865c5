import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { Directive, Field, Int, ObjectType } from 'type-graphql';
import type { Logger } from './logger';

/**
 * An expected failure of a mutation, returned in its payload's `errors` list. Frontends switch
 * on `code` (stable), point at `field` and show `message`.
 */
@ObjectType({ description: 'An expected failure of a mutation: what went wrong, where, and what to do.' })
@Directive('@shareable')
export class UserError {
  @Field(() => String, { description: 'Stable machine-readable code, e.g. `VALIDATION_FAILED`, `ALREADY_EXISTS`, `NOT_FOUND`.' })
  code!: string;

  @Field(() => String, { nullable: true, description: 'Path of the offending input field, e.g. `input.slug`; null when the whole request is at fault.' })
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
  return { message: MASKED_MESSAGE, locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** Logs an unexpected error with its request id. */
export function logUnexpected(log: Logger, error: unknown, requestId: string | null, operation?: string | null): void {
  const original = unwrapResolverError(error);
  log.error({ err: original, requestId, operation }, 'unexpected error');
}
