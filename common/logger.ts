import pino, { type Logger } from 'pino';

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

export function createLogger(name: string, level = process.env.LOG_LEVEL || 'info'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}

export type { Logger };
