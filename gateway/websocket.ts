import type http from 'node:http';
import { GraphQLError } from 'graphql';
import type { Context, ServerOptions } from 'graphql-ws';
import type { Logger } from '../common/logger';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { addressKey, callerKey, type HardeningConfig, type RateCounter } from './hardening';
import { connectionToken, verifyToken, type TokenCheck } from './tokens';

/** graphql-ws close codes used here (graphql-ws's own: 4403 Forbidden is what a refused `onConnect` gets). */
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_TOO_MANY_REQUESTS = 4429;

/** Running subscriptions per caller in this gateway process (graphql-ws and HTTP/SSE alike). */
export class CallerSubscriptions {
  private readonly running = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** Counts one more for `caller`; false (nothing counted) when it runs `limit` already. */
  acquire(caller: string): boolean {
    const count = this.running.get(caller) ?? 0;
    if (count >= this.limit) return false;
    this.running.set(caller, count + 1);
    return true;
  }

  release(caller: string): void {
    const left = (this.running.get(caller) ?? 1) - 1;
    if (left > 0) this.running.set(caller, left);
    else this.running.delete(caller);
  }

  refusal(): GraphQLError {
    return new GraphQLError(
      `You already run ${this.limit} subscriptions over your connections, the most one caller may (GRAPHQL_MAX_SUBSCRIPTIONS_PER_CALLER). Complete one first.`,
      { extensions: { code: 'SUBSCRIPTION_LIMIT', limit: this.limit, scope: 'caller' } },
    );
  }
}

/**
 * The per-caller cap for subscriptions over HTTP (server-sent events), counted with the
 * caller's graphql-ws subscriptions (those are counted by `guardWebSocket`, whose contexts carry
 * `connectionParams`). A subscription stops counting when its stream ends (client gone included).
 */
export function useSubscriptionCap(counter: CallerSubscriptions): GatewayPlugin {
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const context = args.contextValue as Parameters<typeof callerKey>[0] & { connectionParams?: unknown };
      if ('connectionParams' in context) return;
      const caller = callerKey(context);
      if (!counter.acquire(caller)) {
        setResultAndStopExecution({ errors: [counter.refusal()] });
        return;
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        counter.release(caller);
      };
      return {
        onSubscribeResult({ result }) {
          if (!result || typeof result !== 'object' || !(Symbol.asyncIterator in result)) {
            release();
            return;
          }
          return { onEnd: release };
        },
        onSubscribeError: release,
      };
    },
  } as GatewayPlugin;
}

interface Extra {
  request?: http.IncomingMessage;
  socket?: { close(code: number, reason: string): void };
}

/**
 * Wraps Hive Gateway's graphql-ws options (`getGraphQLWSOptions`) with what the gateway's HTTP
 * side gets from its plugins, and what only a long-lived socket needs:
 *
 * - `connection_init` with a token that does not verify (forged, expired, no `exp`, living longer
 *   than JWT_MAX_AGE) closes the socket at once with 4403 and the reason; the refusal counts
 *   against the address's window of failed requests (see `useRateLimit`), and an address that
 *   has used it up is closed with 4429 before its token is looked at. No token is fine (anonymous).
 * - Running subscriptions are capped per connection (`GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION`)
 *   and per caller — token subject, else address — over all sockets of this gateway process
 *   (`GRAPHQL_MAX_SUBSCRIPTIONS_PER_CALLER`). One more is refused with an `error` message for
 *   that subscription only (`extensions.code = SUBSCRIPTION_LIMIT`, `limit`, `scope`); the socket
 *   and the other subscriptions stay up (subscriptions over HTTP count with them, see
 *   `useSubscriptionCap`). Each subscribe also counts with the rate limit (the
 *   `onSubscribe` hook of `useRateLimit`).
 */
export function guardWebSocket<P extends Record<string, unknown>, E>(
  base: ServerOptions<P, E>,
  options: { limits: HardeningConfig; tokens: TokenCheck; failed: RateCounter; subscriptions: CallerSubscriptions; log: Logger },
): ServerOptions<P, E> {
  const { limits, tokens, failed, subscriptions, log } = options;
  /** Caller key of each acknowledged connection. */
  const callers = new WeakMap<object, string>();
  /** Subscription ids each connection has counted against its caller. */
  const held = new WeakMap<object, Set<string>>();

  const release = (ctx: object, id?: string) => {
    const ids = held.get(ctx);
    const caller = callers.get(ctx);
    if (!ids || !caller) return;
    for (const each of id === undefined ? [...ids] : [id]) if (ids.delete(each)) subscriptions.release(caller);
  };
  const refuse = (message: string, limit: number, scope: 'connection' | 'caller') => [
    new GraphQLError(message, { extensions: { code: 'SUBSCRIPTION_LIMIT', limit, scope } }),
  ];

  return {
    ...base,
    async onConnect(ctx: Context<P, E>) {
      const extra = ctx.extra as Extra;
      const address = addressKey(extra.request);
      const close = (code: number, reason: string) => {
        extra.socket?.close(code, reason);
        return false as const;
      };
      const wait = await failed.exhausted(address);
      if (wait !== null) return close(CLOSE_TOO_MANY_REQUESTS, `Too many failed requests: retry after ${wait} s`);
      const token = connectionToken(ctx.connectionParams);
      let caller = `ip:${extra.request?.socket?.remoteAddress ?? 'unknown'}`;
      if (token) {
        try {
          const claims = await verifyToken(token, tokens);
          if (typeof claims.sub === 'string' && claims.sub) caller = `sub:${claims.sub}`;
        } catch (error) {
          await failed.hit(address);
          const reason = error instanceof Error ? error.message : 'invalid token';
          log.debug({ reason }, 'graphql-ws connection refused');
          return close(CLOSE_FORBIDDEN, `Forbidden: ${reason}`.slice(0, 120));
        }
      }
      callers.set(ctx, caller);
      held.set(ctx, new Set());
      return base.onConnect ? base.onConnect(ctx) : true;
    },
    async onSubscribe(ctx, id, payload) {
      const running = Object.keys(ctx.subscriptions).length;
      if (running > limits.maxSubscriptionsPerConnection) {
        return refuse(
          `This connection already runs ${limits.maxSubscriptionsPerConnection} subscriptions, the most one connection may (GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION). Complete one first.`,
          limits.maxSubscriptionsPerConnection,
          'connection',
        );
      }
      const caller = callers.get(ctx);
      const ids = held.get(ctx);
      if (caller && ids) {
        if (!subscriptions.acquire(caller)) return [subscriptions.refusal()];
        ids.add(id);
      }
      try {
        return await base.onSubscribe?.(ctx, id, payload);
      } catch (error) {
        release(ctx, id);
        throw error;
      }
    },
    async onComplete(ctx, id, payload) {
      release(ctx, id);
      await base.onComplete?.(ctx, id, payload);
    },
    async onClose(ctx, code, reason) {
      release(ctx);
      await base.onClose?.(ctx, code, reason);
    },
  };
}
