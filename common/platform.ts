import pg from 'pg';
import { withAdvisoryLock } from './db';
import { migrateJobs } from './jobs';

/**
 * The shared `platform` schema (events now; jobs and audit later). Statements are append-only:
 * add a new entry, never edit an applied one.
 */
const PLATFORM_MIGRATIONS: { id: string; sql: string }[] = [
  {
    id: '0001_events',
    sql: `
      create table platform.event (
        id bigserial primary key,
        topic text not null,
        payload jsonb not null,
        created_at timestamptz not null default now()
      );
      create index event_topic_id_idx on platform.event (topic, id);
    `,
  },
];

export async function migratePlatform(databaseUrl: string): Promise<void> {
  await withAdvisoryLock(databaseUrl, 'plangraph:migrate:platform', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query('create schema if not exists platform');
      await client.query(
        'create table if not exists platform.schema_migration (id text primary key, applied_at timestamptz not null default now())',
      );
      const { rows } = await client.query<{ id: string }>('select id from platform.schema_migration');
      const done = new Set(rows.map((r) => r.id));
      for (const migration of PLATFORM_MIGRATIONS) {
        if (done.has(migration.id)) continue;
        await client.query('begin');
        try {
          await client.query(migration.sql);
          await client.query('insert into platform.schema_migration (id) values ($1)', [migration.id]);
          await client.query('commit');
        } catch (error) {
          await client.query('rollback');
          throw error;
        }
      }
    } finally {
      await client.end();
    }
    await migrateJobs(databaseUrl);
  });
}
