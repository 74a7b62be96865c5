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

  it('fetches jobs again after its first look-up of task ids failed', async () => {
    // When a runner starts, graphile-worker 0.16 looks up its task ids once (an insert into
    // _private_tasks) and keeps a failed look-up, rethrowing it on every later poll: the runner
    // then never fetches a job, though its heartbeats go on. Under load that failure was a pool
    // connect timeout while the test process's event loop was busy; here a trigger fails the
    // first look-up. The queued job must still run, in a replaced runner.
    const done: string[] = [];
    await db.query(`select graphile_worker.add_job('test.lookup', '{"n": 1}'::json)`);
    await db.query(`
      create sequence test_lookup_attempts;
      create function test_fail_first_lookup() returns trigger language plpgsql as $$
      begin
        if nextval('test_lookup_attempts') = 1 then raise exception 'the first look-up of task ids fails'; end if;
        return null;
      end $$;
      create trigger test_fail_first_lookup before insert on graphile_worker._private_tasks
        for each statement execute function test_fail_first_lookup();
    `);
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
      await db.query('drop trigger test_fail_first_lookup on graphile_worker._private_tasks');
    }
  });
});
