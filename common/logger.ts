import pino, { type Logger } from 'pino';
import { logLevel } from './config';

/** Structured JSON logs on stdout. Tokens, secrets and passwords never reach a log line. */
export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'password',
  '*.password',
];

/**
 * Where a database error's text starts. knex (under MikroORM) prefixes the driver's message with
 * the whole statement, values inlined (`insert into "x" ("secret") values ('…') - <message>`),
 * and PostgreSQL's own message and detail may quote values too (`Key (slug)=(…) already
 * exists`, `invalid input syntax for type uuid: "…"`).
 */
const SQL_TEXT =
  /\b(?:select\b[\s\S]*?\bfrom\b|insert\s+into\b|update\s+\S+\s+set\b|delete\s+from\b|with\s+\S+\s+as\s*\(|(?:begin|commit|rollback|savepoint)\b)[\s\S]*? - /i;
const REMOVED = '[SQL, values and database message removed]';

/** Keys of driver errors that hold statements, values or rows. */
const UNSAFE_KEYS = new Set([
  'sql',
  'query',
  'params',
  'parameters',
  'bindings',
  'detail',
  'where',
  'hint',
  'internalQuery',
  'position',
  'internalPosition',
  'file',
  'line',
]);

/** `text` with everything from a statement onwards removed (see SQL_TEXT). */
export function scrubText(text: string): string {
  const match = SQL_TEXT.exec(text);
  return match ? `${text.slice(0, match.index)}${REMOVED}` : text;
}

/** The error's class (`type` once serialized). */
function errorClass(error: Record<string, unknown>): string | undefined {
  return typeof error.name === 'string' ? error.name : typeof error.type === 'string' ? error.type : undefined;
}

/** A driver error: MikroORM's DriverException family, or pg's DatabaseError (SQLSTATE + routine). */
function isDatabaseError(error: Record<string, unknown>): boolean {
  const code = error.code;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
  const name = errorClass(error) ?? '';
  if (sqlState && (/Exception$/.test(name) || typeof error.routine === 'string' || typeof error.severity === 'string')) return true;
  return typeof error.message === 'string' && SQL_TEXT.test(error.message);
}

function stackFrames(stack: unknown): string | undefined {
  if (typeof stack !== 'string') return undefined;
  return stack
    .split('\n')
    .filter((line) => line.trim().startsWith('at '))
    .join('\n');
}

/**
 * pino's `err` serializer, made safe: a database error keeps its class, SQLSTATE, constraint,
 * table, column and routine (and its stack frames), never its statement, values or message;
 * any other error is serialized as usual with statements cut out of its texts.
 */
export function safeError(error: unknown, depth = 0): unknown {
  if (!error || typeof error !== 'object' || depth > 4) return error;
  const e = error as Record<string, unknown>;
  if (isDatabaseError(e)) {
    const type = errorClass(e) ?? 'DatabaseError';
    const safe: Record<string, unknown> = {
      type,
      message: `${type}${typeof e.code === 'string' ? ` (SQLSTATE ${e.code})` : ''}: ${REMOVED}`,
    };
    for (const key of ['code', 'constraint', 'schema', 'table', 'column', 'dataType', 'routine', 'severity'] as const) {
      if (typeof e[key] === 'string') safe[key] = e[key];
    }
    const frames = stackFrames(e.stack);
    if (frames) safe.stack = frames;
    return safe;
  }
  const base = (error instanceof Error ? pino.stdSerializers.err(error) : { ...e }) as Record<string, unknown>;
  const safe: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) {
    if (UNSAFE_KEYS.has(key)) continue;
    if (typeof value === 'string') safe[key] = scrubText(value);
    else if (['cause', 'originalError', 'previous'].includes(key)) safe[key] = safeError(value, depth + 1);
    else safe[key] = value;
  }
  return safe;
}

/** A pino logger for a service; `destination` (default stdout) lets tests read the lines. */
export function createLogger(name: string, level = logLevel(), destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: safeError, error: safeError },
    hooks: {
      // Message strings (e.g. graphile-worker's "Failed task … with error '…'") lose statements too.
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg)) as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
