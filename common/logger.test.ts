import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACT_PATHS } from './logger';

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
    log.info({ headers: { authorization: 'Bearer eyJhbGciOi.payload.sig' }, token: 'tok-123', input: { secret: 's3cr3t', password: 'hunter2' } }, 'request');
    const text = lines.join('');
    expect(text).not.toMatch(/eyJhbGciOi|tok-123|s3cr3t|hunter2/);
    expect(text).toContain('[redacted]');
  });
});
