/** Stable `extensions.code` for errors that have none (from Yoga and the gateway's plugins). */
import { GraphQLError, Kind } from 'graphql';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';

/** Codes for errors that carry an HTTP status but no code (from Yoga and its plugins). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'BAD_REQUEST',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

/**
 * Gives an error without `extensions.code` one: BAD_USER_INPUT for a variable graphql-js could
 * not coerce, else one from its HTTP status, else INTERNAL_SERVER_ERROR for a field error and
 * BAD_REQUEST for a request error. Errors that have a code keep it.
 */
export function withStableCode<E extends Error>(error: E): E {
  if (!(error instanceof GraphQLError)) return error;
  const extensions = error.extensions as Record<string, unknown>;
  if (typeof extensions.code === 'string' && extensions.code) return error;
  const status = (extensions.http as { status?: number } | undefined)?.status;
  let code: string;
  if (error.nodes?.[0]?.kind === Kind.VARIABLE_DEFINITION) code = 'BAD_USER_INPUT';
  else if (status && CODE_BY_STATUS[status]) code = CODE_BY_STATUS[status];
  else if (status && status >= 500) code = 'INTERNAL_SERVER_ERROR';
  else code = error.path ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
  extensions.code = code;
  return error;
}

/**
 * Tags every error a plugin throws while it handles a request (e.g. the JWT plugin refusing a
 * token) with `code`, unless it has one.
 */
export function withErrorCode<P extends GatewayPlugin>(plugin: P, code: string): P {
  const tag = (error: unknown) => {
    if (error instanceof GraphQLError) {
      const extensions = error.extensions as Record<string, unknown>;
      if (!extensions.code) extensions.code = code;
    }
    return error;
  };
  const wrap = <A extends unknown[], R>(hook: ((...args: A) => R) | undefined) =>
    hook &&
    ((...args: A): R => {
      try {
        const result = hook(...args);
        if (result && typeof (result as { then?: unknown }).then === 'function') {
          return (result as unknown as Promise<unknown>).catch((error: unknown) => {
            throw tag(error);
          }) as R;
        }
        return result;
      } catch (error) {
        throw tag(error);
      }
    });
  const hooks = plugin as Record<string, unknown>;
  const onPluginInit = hooks.onPluginInit as ((payload: { addPlugin(plugin: GatewayPlugin): void }) => void) | undefined;
  return {
    ...plugin,
    onRequestParse: wrap(hooks.onRequestParse as never),
    onContextBuilding: wrap(hooks.onContextBuilding as never),
    // Plugins it adds (the mesh JWT plugin adds Yoga's, which does the checking) are wrapped too.
    ...(onPluginInit
      ? {
          onPluginInit: (payload: { addPlugin(plugin: GatewayPlugin): void }) =>
            onPluginInit({ ...payload, addPlugin: (added) => payload.addPlugin(withErrorCode(added, code)) }),
        }
      : {}),
  } as P;
}
