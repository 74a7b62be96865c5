import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { obfuscateSql, redact, redactUrl } from './telemetry-sdk';

describe('what leaves a traced process', () => {
  it('drops query strings and every URL path segment that is not a plain word (ids, keys, secrets)', () => {
    expect(redactUrl('http://127.0.0.1:8080/tyk/keys/pgk_AbCdEf0123?hashed=1')).toBe('http://127.0.0.1:8080/tyk/keys/:id');
    expect(redactUrl('http://tyk/tyk/keys/pgk_abcdefghijklmnopqrstuvwxyzabcdefghijklmn')).toBe('http://tyk/tyk/keys/:id');
    expect(redactUrl('http://tyk/tyk/policies/pg-plan-0a1b2c')).toBe('http://tyk/tyk/policies/:id');
    expect(redactUrl('http://tyk/tyk/reload/group')).toBe('http://tyk/tyk/reload/group');
    expect(redactUrl('/graphql?query={me{id}}&variables={"secret":"x"}')).toBe('/graphql');
    expect(redactUrl('https://dash.example.com/api/portal/policies?p=-1')).toBe('https://dash.example.com/api/portal/policies');
  });

  it('keeps the shape of a statement and none of its values (MikroORM inlines them)', () => {
    expect(
      obfuscateSql(`select "d0".* from "developers"."developer" as "d0" where "d0"."subject" = 'dev-1''s' and "d0".n > 42 limit 1`),
    ).toBe(`select "d0".* from "developers"."developer" as "d0" where "d0"."subject" = ? and "d0".n > ? limit ?`);
    expect(obfuscateSql(`insert into t (a, b, c) values (E'it\\'s', $$dollar 'quoted'$$, -3.5e2) returning id`)).toBe(
      'insert into t (a, b, c) values (?, ?, ?) returning id',
    );
    expect(obfuscateSql(`select $1::uuid, x'1f', now() - interval '5 minutes' from t2`)).toBe(
      'select $1::uuid, ?, now() - interval ? from t2',
    );
    // Cut inside a literal by the attribute length limit: ends at the cut.
    expect(obfuscateSql(`update t set secret = 'pgk_abcdef`)).toBe('update t set secret = ?…');
  });

  const span = (kind: SpanKind, attributes: Record<string, unknown>, events: ReadableSpan['events'] = []): ReadableSpan =>
    ({ name: 's', kind, attributes, events, status: { code: 2, message: 'invalid input syntax for type uuid: "secret-value"' } }) as never;

  it('drops documents, parameter values, query strings, client addresses and database messages', () => {
    const server = redact(
      span(SpanKind.SERVER, {
        'graphql.document': 'mutation { registerProvider(input: { secret: "s3cret" }) { id } }',
        'url.full': 'http://gw/graphql?variables=%7B%7D',
        'url.query': 'variables=%7B%7D',
        'client.address': '203.0.113.9',
        'network.peer.address': '203.0.113.9',
        'user_agent.original': 'curl/8',
        'graphql.operation.name': 'Me',
      }),
    );
    expect(server.attributes).toEqual({ 'url.full': 'http://gw/graphql', 'graphql.operation.name': 'Me' });
    expect(server.name).toBe('s');

    const client = redact(span(SpanKind.CLIENT, { 'network.peer.address': '10.0.0.5', 'server.port': 8080 }));
    expect(client.attributes).toEqual({ 'network.peer.address': '10.0.0.5', 'server.port': 8080 });

    const sql = redact(
      span(SpanKind.CLIENT, { 'db.system': 'postgresql', 'db.statement': "select 1 where id = 'x'", 'db.postgresql.values': ['x'] }, [
        {
          name: 'exception',
          time: [0, 0],
          attributes: { 'exception.type': '22P02', 'exception.message': 'invalid input: "secret-value"' },
        },
      ]),
    );
    expect(sql.attributes).toEqual({ 'db.system': 'postgresql', 'db.statement': 'select ? where id = ?' });
    expect(sql.status).toEqual({ code: 2 });
    expect(sql.events[0]!.attributes).toEqual({ 'exception.type': '22P02' });
  });
});
