import { Logger as HiveLogger, type LogLevel } from '@graphql-hive/logger';
import type { Logger } from '../common/logger';

/**
 * Keys whose values never reach a log line: what a caller sent (the upstream request's body with
 * its variables and document, headers) and the identity the gateway forwards with it (claims,
 * signature). Hive attaches the failed subgraph request to the error it logs; a mutation's
 * variables may hold a secret and the claims name the caller.
 */
const REMOVED_KEYS = new Set(['body', 'variables', 'headers', 'claims', 'sig', 'query', 'authorization', 'connectionParams']);
const REMOVED = '[removed]';
const MAX_DEPTH = 8;

/** A copy of `value` without the keys above, at any depth (bounded). */
export function withoutRequestContent(value: unknown, depth = 0): unknown {
  if (!value || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => withoutRequestContent(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = REMOVED_KEYS.has(key) ? REMOVED : withoutRequestContent(item, depth + 1);
  return out;
}

/** Hive passes errors positionally (`{ 0: err }`); give pino an `err` it can serialise. */
export function logAttributes(attrs: unknown): Record<string, unknown> {
  if (!attrs || typeof attrs !== 'object') return {};
  const entries = Array.isArray(attrs) ? attrs.map((v, i) => [String(i), v] as const) : Object.entries(attrs);
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    if (value instanceof Error || (value && typeof value === 'object' && 'stack' in value && 'message' in value)) {
      const error = value as { name?: string; message?: string; stack?: string; class?: string };
      out.err = { type: error.class ?? error.name, message: error.message, stack: error.stack };
    } else if (/^\d+$/.test(key)) {
      out.details = withoutRequestContent(value);
    } else {
      out[key] = REMOVED_KEYS.has(key) ? REMOVED : withoutRequestContent(value);
    }
  }
  return out;
}

/** Hive's logger writing through pino, so the gateway's logs are JSON like every subgraph's. */
export function hiveLogger(log: Logger, level: string): HiveLogger {
  const levels: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];
  return new HiveLogger({
    level: (levels.includes(level as LogLevel) ? level : 'info') as LogLevel,
    writers: [
      {
        write(lvl, attrs, msg) {
          log[lvl](logAttributes(attrs), msg ?? '');
        },
      },
    ],
  });
}
