import pg from 'pg';
import { JobRunner } from './jobs';
import { createLogger } from './logger';
import { migratePlatform } from './platform';
import { testDatabaseUrl } from '../test/helpers/db';
import { waitFor } from '../test/helpers/wait';

describe('job runner', () => {
  let db: pg.Client;
  beforeAll(async () => {
    await migratePlatform(testDatabaseUrl());
    db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
  });

  /**
   * Makes the first insert into a graphile-worker table fail (a statement trigger raising
   * `message`); later ones go through. `attempts` counts the inserts tried, `remove` drops it.
   */
  async function failFirstInsert(name: string, table: string, message: string) {
    await db.query(`
      create sequence ${name}_attempts;
      create function ${name}() returns trigger language plpgsql as $$
      begin
        if nextval('${name}_attempts') = 1 then raise exception '${message}'; end if;
        return null;
      end $$;
      create trigger ${name} before insert on graphile_worker.${table}
        for each statement execute function ${name}();
    `);
    return {
      attempts: async () => Number((await db.query(`select last_value from ${name}_attempts`)).rows[0].last_value),
      remove: () => db.query(`drop trigger ${name} on graphile_worker.${table}`),
    };
  }

  it('fetches jobs again after its first look-up of task ids failed', async () => {
    // When a runner starts, graphile-worker (0.16 and 0.17) looks up its task ids once (an insert into
    // _private_tasks) and keeps a failed look-up, rethrowing it on every later poll: the runner
    // then never fetches a job, though its heartbeats go on. Under load that failure was a pool
    // connect timeout while the test process's event loop was busy; here a trigger fails the
    // first look-up. The queued job must still run, in a replaced runner.
    const done: string[] = [];
    await db.query(`select graphile_worker.add_job('test.lookup', '{"n": 1}'::json)`);
    const failing = await failFirstInsert('test_fail_first_lookup', '_private_tasks', 'the first look-up of task ids fails');
    const runner = new JobRunner({
      databaseUrl: testDatabaseUrl(),
      taskList: { 'test.lookup': async (payload) => void done.push(JSON.stringify(payload)) },
      log: createLogger('jobs-test', 'fatal'),
      owner: 'jobs-test',
      // A runner whose workers fail to fetch jobs for max(lockTimeoutMs, 10 s) while its heartbeats
      // succeed is replaced.
      lockTimeoutMs: 2_000,
      pollIntervalMs: 100,
    });
    await runner.start();
    try {
      await waitFor(() => done.length === 1, { timeoutMs: 30_000, what: 'the queued job to run' });
      expect(done).toEqual(['{"n":1}']);
      expect(runner.restarts).toBe(1);
    } finally {
      await runner.stop();
      await failing.remove();
    }
  });

  it('keeps scheduling its recurring jobs after their cron loop failed to reach the database', async () => {
    // The cron loop of the recurring jobs registers them in `_private_known_crontabs` when the
    // runner starts and writes there again at every minute's tick. During a database outage that
    // write fails; here a trigger fails the first one. The loop must come back by itself, without
    // an unhandled rejection (which ends a Node process) and without leaving the recurring jobs
    // unscheduled.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const failing = await failFirstInsert(
      'test_fail_first_cron_write',
      '_private_known_crontabs',
      'the cron loop cannot reach the database',
    );
    const runner = new JobRunner({
      databaseUrl: testDatabaseUrl(),
      taskList: { 'test.tick': async () => undefined },
      log: createLogger('jobs-test', 'fatal'),
      owner: 'jobs-test',
      lockTimeoutMs: 2_000,
      pollIntervalMs: 100,
      recurring: [{ task: 'test.tick', match: '* * * * *' }],
    });
    await runner.start();
    try {
      const registered = async () =>
        (await db.query(`select 1 from graphile_worker._private_known_crontabs where identifier = 'test.tick'`)).rowCount === 1;
      await waitFor(registered, { timeoutMs: 30_000, what: 'the recurring job to be registered after the failed write' });
      expect(await failing.attempts()).toBeGreaterThanOrEqual(2);
      // Unhandled rejections are reported on a later turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(runner.health()).toEqual({ ok: true });
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await runner.stop();
      await failing.remove();
    }
  });

  /** A runner whose `test.<name>` jobs run until the test lets them finish. */
  function blockingRunner(name: string) {
    const waiting: Array<() => void> = [];
    const finished: number[] = [];
    const runner = new JobRunner({
      databaseUrl: testDatabaseUrl(),
      taskList: {
        [`test.${name}`]: async (payload) => {
          await new Promise<void>((resolve) => waiting.push(resolve));
          finished.push((payload as { n: number }).n);
        },
      },
      log: createLogger('jobs-test', 'fatal'),
      owner: 'jobs-test',
      lockTimeoutMs: 1_000,
      pollIntervalMs: 100,
      concurrency: 1,
    });
    const holder = async () =>
      (
        await db.query<{ locked_by: string | null }>(`select locked_by from graphile_worker.jobs where task_identifier = $1`, [
          `test.${name}`,
        ])
      ).rows[0]?.locked_by;
    return { runner, waiting, finished, holder, release: () => waiting.splice(0).forEach((go) => go()) };
  }

  it('finishes the job in flight when stopped, beating its heartbeat until then', async () => {
    const { runner, waiting, finished, holder, release } = blockingRunner('drain');
    await runner.start();
    await db.query(`select graphile_worker.add_job('test.drain', '{"n": 1}'::json)`);
    await waitFor(() => waiting.length === 1, { what: 'the job to start' });
    const worker = await holder();
    expect(worker).toEqual(expect.any(String));
    const beat = async () =>
      (
        await db.query<{ at: Date }>('select heartbeat_at as at from platform.job_worker where worker_id = $1', [worker])
      ).rows[0]?.at.getTime();
    const stopped = runner.stop();
    expect(runner.health()).toEqual({ ok: false, reason: 'job runner stopping' });
    // Still beating while it finishes (every fifth of the lock timeout): no other replica may take the job.
    // The runner's first heartbeat may not have been written yet on a busy machine (the job can
    // start before it): then any row that appears later is a heartbeat written while stopping.
    const first = (await beat()) ?? 0;
    await waitFor(async () => ((await beat()) ?? 0) > first, { what: 'a heartbeat while stopping' });
    release();
    await stopped;
    expect(finished).toEqual([1]);
    expect(await holder()).toBeUndefined(); // done, so gone from the queue
  });

  it('hands the jobs it still holds back to the queue at once when its process cannot wait (releaseLocks)', async () => {
    const { runner, waiting, holder, release } = blockingRunner('cut');
    await runner.start();
    let stopped: Promise<void> = Promise.resolve();
    try {
      await db.query(`select graphile_worker.add_job('test.cut', '{"n": 2}'::json)`);
      await waitFor(() => waiting.length === 1, { what: 'the job to start' });
      expect(await holder()).toEqual(expect.any(String));
      // As start-one does when the grace period is over: stopping (no new jobs), the job still running.
      stopped = runner.stop();
      expect(await runner.releaseLocks()).toBe(1);
      expect(await holder()).toBeNull();
    } finally {
      release();
      await stopped;
      await db.query(`select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs where task_identifier = 'test.cut'))`);
    }
  });
});
