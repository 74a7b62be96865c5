import http from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Arg, Query, Resolver } from 'type-graphql';
import { Entity, PrimaryKey } from '@mikro-orm/core';
import { startSubgraph, type RunningSubgraph, type SubgraphModule } from './server';
import { buildFederatedSchema } from './federation';
import { badInput, MASKED_MESSAGE } from './errors';
import { testDatabaseUrl } from '../test/helpers/db';
import { subgraphRequest } from '../test/helpers/graphql';
import { productsSubgraph } from '../subgraphs/products';
import { waitFor } from '../test/helpers/wait';

/** MikroORM wants at least one entity; this one is never queried. */
@Entity({ tableName: 'probe' })
class Probe {
  @PrimaryKey({ type: 'uuid' })
  id!: string;
}

@Resolver()
class FaultyResolver {
  @Query(() => String, { description: 'Fails the way a bug would.' })
  explode(): string {
    throw new Error('connection to db-internal:5432 failed for password hunter2');
  }

  @Query(() => String, { description: 'Fails the way bad input should.' })
  strict(@Arg('n', () => Number, { description: 'Must be positive.' }) n: number): string {
    if (n <= 0) throw badInput('n', 'Give a positive number.');
    return 'ok';
  }
}

/** `slow` answers when the test lets it (`releaseSlow`). */
const slowCalls: Array<() => void> = [];
const releaseSlow = () => slowCalls.splice(0).forEach((release) => release());

@Resolver()
class SlowResolver {
  @Query(() => String, { description: 'Answers when the test says so.' })
  async slow(): Promise<string> {
    await new Promise<void>((resolve) => slowCalls.push(resolve));
    return 'done';
  }
}

describe('subgraph error handling', () => {
  let subgraph: RunningSubgraph;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const module: SubgraphModule = {
      name: 'products',
      entities: [Probe],
      migrations: [],
      buildSchema: () => buildFederatedSchema({ resolvers: [FaultyResolver] }),
    };
    subgraph = await startSubgraph(module, { databaseUrl: testDatabaseUrl(), port: 0, log: pino({ level: 'info' }, sink) });
  });
  afterAll(async () => {
    await subgraph?.stop();
  });

  it('masks unexpected errors and logs them with the request id', async () => {
    const response = await subgraphRequest(subgraph.url, '{ explode }', {}, null);
    const error = response.errors![0];
    expect(error.message).toBe(MASKED_MESSAGE);
    expect(error.extensions).toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
    expect(JSON.stringify(response)).not.toMatch(/hunter2|db-internal|stack/i);
    const requestId = error.extensions!.requestId;
    expect(typeof requestId).toBe('string');
    const logged = lines.find((l) => l.requestId === requestId && l.msg === 'unexpected error');
    expect(logged).toBeDefined();
    expect(JSON.stringify(logged)).toContain('hunter2');
  });

  it('passes typed input errors through with their field', async () => {
    const response = await subgraphRequest(subgraph.url, '{ strict(n: -1) }', {}, null);
    expect(response.errors![0]).toMatchObject({ message: 'Give a positive number.', extensions: { code: 'BAD_USER_INPUT', field: 'n' } });
    expect(response.errors![0].extensions!.stacktrace).toBeUndefined();
  });
});

describe('readiness', () => {
  it('reports 503 on /readyz once the database is unreachable, while /healthz stays up', async () => {
    const subgraph = await startSubgraph(productsSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
    const base = subgraph.url.replace(/\/graphql$/, '');
    try {
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      await subgraph.orm.close(true);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not ready', reason: expect.stringContaining('database unreachable') });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await subgraph.stop();
    }
  });
});

describe('graceful stop', () => {
  /** GET through `agent` (a kept-alive connection), with status and body. */
  const get = (url: string, agent: http.Agent) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      http
        .get(url, { agent }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
        })
        .on('error', reject);
    });
  const refused = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });

  it('answers /readyz with 503 at once, refuses new connections and lets the request in flight finish', async () => {
    const module: SubgraphModule = {
      name: 'products',
      entities: [Probe],
      migrations: [],
      buildSchema: () => buildFederatedSchema({ resolvers: [SlowResolver] }),
    };
    const subgraph = await startSubgraph(module, { databaseUrl: testDatabaseUrl(), port: 0 });
    const readyz = subgraph.url.replace(/\/graphql$/, '/readyz');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await get(readyz, agent)).status).toBe(200);
      const slow = subgraphRequest(subgraph.url, '{ slow }', {}, null);
      await waitFor(() => slowCalls.length === 1, { what: 'the slow request to run' });
      const stopped = subgraph.stop({ graceMs: 20_000 });
      let done = false;
      void stopped.then(() => (done = true));
      // The load balancer's next probe, on the connection it keeps open: not ready.
      expect(await get(readyz, agent)).toEqual({
        status: 503,
        body: { status: 'not ready', reason: 'shutting down', service: 'products' },
      });
      expect(await refused(subgraph.port)).toBe(true);
      expect(done).toBe(false);
      releaseSlow();
      expect(await slow).toEqual({ data: { slow: 'done' } });
      await stopped;
    } finally {
      agent.destroy();
      releaseSlow();
      await subgraph.stop();
    }
  });
});
