import { Writable } from 'node:stream';
import pino from 'pino';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { createLogger, REDACT_PATHS, scrubText } from './logger';
import { logUnexpected } from './errors';

describe('log scrubbing', () => {
  it('never writes tokens, secrets or passwords', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    log.info(
      { headers: { authorization: 'Bearer eyJhbGciOi.payload.sig' }, token: 'tok-123', input: { secret: 's3cr3t', password: 'hunter2' } },
      'request',
    );
    const text = lines.join('');
    expect(text).not.toMatch(/eyJhbGciOi|tok-123|s3cr3t|hunter2/);
    expect(text).toContain('[redacted]');
  });
});

describe('database errors in logs', () => {
  function capture() {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { log: createLogger('test', 'info', sink), text: () => lines.join('') };
  }
  // As knex (under MikroORM) words it: the statement with its values inlined, then the driver's message.
  const knexMessage = `update "provider"."provider" set "secret_ciphertext" = 'v1:c1pherText', "name" = 'acme' where "id" = 'f7d1' - duplicate key value violates unique constraint "provider_name_key"`;

  it('keeps class, SQLSTATE, constraint and frames; drops statement, values and detail', () => {
    const driver = Object.assign(new Error(knexMessage), {
      code: '23505',
      constraint: 'provider_name_key',
      table: 'provider',
      routine: '_bt_check_unique',
      severity: 'ERROR',
      detail: 'Key (name)=(acme) already exists.',
    });
    const error = new UniqueConstraintViolationException(driver);
    const { log, text } = capture();
    log.error({ err: error }, 'unexpected error');
    logUnexpected(log, error, 'req-1', 'registerProvider');
    const out = text();
    expect(out).not.toMatch(/c1pherText|acme|secret_ciphertext|update "provider"/);
    const line = JSON.parse(out.split('\n')[0]);
    expect(line.err).toMatchObject({
      type: 'UniqueConstraintViolationException',
      code: '23505',
      constraint: 'provider_name_key',
      routine: '_bt_check_unique',
    });
    expect(line.err.stack).toMatch(/^\s+at /);
  });

  it('cuts statements out of message strings and plain error objects (graphile-worker job failures)', () => {
    const { log, text } = capture();
    log.error(
      { err: { message: knexMessage, stack: `Error: ${knexMessage}\n    at run (x.js:1:1)` } },
      `Failed task provider.syncPlan (42) with error '${knexMessage}'`,
    );
    const out = text();
    expect(out).not.toMatch(/c1pherText|acme|secret_ciphertext/);
    expect(out).toContain('Failed task provider.syncPlan (42) with error');
    expect(scrubText('nothing to see - here')).toBe('nothing to see - here');
  });
});
