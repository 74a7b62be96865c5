import { Writable } from 'node:stream';
import pino from 'pino';
import { GraphQLError } from 'graphql';
import { hiveLogger, withoutRequestContent } from './logging';

/** A pino logger writing into an array of parsed lines. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'trace' }, stream), lines };
}

describe("the gateway's log lines", () => {
  // The shape Hive logs when a subgraph call fails: the error with the upstream request attached.
  const upstreamBody = JSON.stringify({
    query: 'mutation($secret: String!) { rotate(secret: $secret) { id } }',
    variables: { secret: 'client-secret-value' },
    extensions: { plangraph: { claims: '{"sub":"dev-1","email":"dev-1@example.com"}', sig: 'signature-value' } },
  });
  const failure = () =>
    new GraphQLError('connect ECONNREFUSED 127.0.0.1:4001', {
      path: ['rotate'],
      extensions: {
        code: 'SUBREQUEST_HTTP_ERROR',
        serviceName: 'developers',
        request: { method: 'POST', body: upstreamBody, headers: { authorization: 'Bearer token-value' } },
      },
    });

  it.each([
    ['the error as the attributes', () => failure()],
    ['the error among positional attributes', () => [failure()]],
    ['the error inside an object', () => ({ error: { ...failure(), extensions: failure().extensions } })],
  ])('carry no request body, variables, claims, signature or token: %s', (_name, attrs) => {
    const { log, lines } = capture();
    hiveLogger(log, 'info').error(attrs() as never, 'subgraph call failed');
    expect(lines).toHaveLength(1);
    const text = JSON.stringify(lines[0]);
    for (const secret of ['client-secret-value', 'dev-1@example.com', 'dev-1', 'signature-value', 'token-value', 'rotate(secret']) {
      expect(text).not.toContain(secret);
    }
    // What an operator needs is still there.
    expect(text).toContain('ECONNREFUSED');
  });

  it('keep the fields that say what failed', () => {
    const { log, lines } = capture();
    hiveLogger(log, 'info').error({ ...failure(), extensions: failure().extensions } as never, 'subgraph call failed');
    expect(lines[0]).toMatchObject({
      message: 'connect ECONNREFUSED 127.0.0.1:4001',
      path: ['rotate'],
      extensions: { code: 'SUBREQUEST_HTTP_ERROR', serviceName: 'developers', request: { method: 'POST', body: '[removed]' } },
    });
  });

  it('are bounded in depth', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    expect(JSON.stringify(withoutRequestContent(deep))).toContain('[too deep]');
  });
});
