import pg from 'pg';
import { Registry } from 'prom-client';
import { jobQueueMetrics, OperationNames, SubscriptionMetrics, type TaskQueueRow } from './metrics';
import { migratePlatform } from './platform';
import { testDatabaseUrl } from '../test/helpers/db';
import { parseMetrics, valueOf } from '../test/helpers/prometheus';

describe('metrics', () => {
  it('caps client-chosen operation names: GraphQL-like names only, the first N distinct, then "other"', () => {
    const names = new OperationNames(3);
    expect(names.label(undefined)).toBe('anonymous');
    expect(names.label('')).toBe('anonymous');
    expect(names.label('MyQuery')).toBe('MyQuery');
    expect(names.label('has space')).toBe('other');
    expect(names.label('x'.repeat(65))).toBe('other');
    expect(names.label('with-dash')).toBe('other');
    expect(names.label('Second')).toBe('Second');
    expect(names.label('Third')).toBe('Third');
    expect(names.label('Fourth')).toBe('other');
    expect(names.label('MyQuery')).toBe('MyQuery');
  });

  it('counts a subscription as open until its stream ends, and each event it delivers', async () => {
    const registry = new Registry();
    const subscriptions = new SubscriptionMetrics(registry);
    const value = async (name: string) => valueOf(parseMetrics(await registry.metrics()), name, { subscription: 'events' });
    async function* source() {
      yield 1;
      yield 2;
      yield 3;
    }
    const stream = subscriptions.track('events', source());
    expect(await value('plangraph_subscriptions_open')).toBe(1);
    expect(await stream.next()).toEqual({ value: 1, done: false });
    expect(await stream.next()).toEqual({ value: 2, done: false });
    expect(await value('plangraph_subscription_events_delivered_total')).toBe(2);
    await stream.return!();
    await stream.return!();
    expect(await value('plangraph_subscriptions_open')).toBe(0);

    const ended = subscriptions.track('events', source());
    for await (const _ of ended) void _;
    expect(await value('plangraph_subscriptions_open')).toBe(0);
    expect(await value('plangraph_subscription_events_delivered_total')).toBe(5);
  });

  describe('job queue, read at scrape time', () => {
    let db: pg.Client;
    const prefix = `metricsprobe${process.pid}`;
    beforeAll(async () => {
      await migratePlatform(testDatabaseUrl());
      db = new pg.Client({ connectionString: testDatabaseUrl() });
      await db.connect();
    });
    afterAll(async () => {
      await db.query(
        `delete from graphile_worker._private_jobs where task_id in (select id from graphile_worker._private_tasks where identifier like $1)`,
        [`${prefix}.%`],
      );
      await db?.end();
    });

    it('shows each task’s jobs per state and the age of its oldest runnable one; known tasks at 0', async () => {
      const add = (task: string, runAt: string, extra = '') =>
        db.query(`select graphile_worker.add_job($1, '{}'::json, run_at := now() + $2::interval ${extra})`, [`${prefix}.${task}`, runAt]);
      await add('due', '-10 minutes');
      await add('due', '-2 minutes');
      await add('later', '1 hour');
      await add('broken', '-1 minute', ', max_attempts := 1');
      await db.query(
        `update graphile_worker._private_jobs set attempts = 1, last_error = 'failed' where task_id = (select id from graphile_worker._private_tasks where identifier = $1)`,
        [`${prefix}.broken`],
      );
      await add('retried', '1 minute', ', max_attempts := 5');
      await db.query(
        `update graphile_worker._private_jobs set attempts = 2 where task_id = (select id from graphile_worker._private_tasks where identifier = $1)`,
        [`${prefix}.retried`],
      );

      const registry = new Registry();
      const queries: string[] = [];
      jobQueueMetrics(
        registry,
        prefix,
        async (sql, params) => {
          queries.push(sql);
          // Knex-style placeholders, as the subgraph's ORM takes them.
          let n = 0;
          return (
            await db.query<TaskQueueRow>(
              sql.replace(/\?/g, () => `$${++n}`),
              params,
            )
          ).rows;
        },
        [`${prefix}.idle`],
      );
      const samples = parseMetrics(await registry.metrics());
      const jobs = (task: string, state: string) => valueOf(samples, 'plangraph_jobs', { task: `${prefix}.${task}`, state });
      expect(jobs('due', 'queued')).toBe(2);
      expect(jobs('later', 'scheduled')).toBe(1);
      expect(jobs('later', 'queued')).toBe(0);
      expect(jobs('broken', 'failed')).toBe(1);
      expect(jobs('retried', 'retrying')).toBe(1);
      expect(jobs('idle', 'queued')).toBe(0);
      expect(samples.some((s) => s.name === 'plangraph_jobs' && s.labels.task === `${prefix}.idle`)).toBe(true);
      const age = (task: string) => valueOf(samples, 'plangraph_jobs_oldest_runnable_age_seconds', { task: `${prefix}.${task}` });
      expect(age('due')).toBeGreaterThanOrEqual(600);
      expect(age('due')).toBeLessThan(900);
      expect(age('later')).toBe(0);
      expect(age('broken')).toBe(0); // out of attempts: not runnable
      // Both gauges came from one statement.
      expect(queries).toHaveLength(1);
    });
  });
});
