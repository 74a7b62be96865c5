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
  {
    id: '0002_audit_log',
    sql: `
      create table platform.audit_log (
        id bigserial primary key,
        occurred_at timestamptz not null default clock_timestamp(),
        subgraph text not null,
        actor text not null,
        actor_roles text[] not null default '{}',
        action text not null,
        change text not null check (change in ('CREATE', 'UPDATE', 'DELETE', 'CALL')),
        target_type text not null,
        target_id text,
        organization_id uuid,
        before jsonb,
        after jsonb,
        request_id text,
        prev_hash text not null,
        hash text not null
      );
      create index audit_log_organization_idx on platform.audit_log (organization_id, id);
      create index audit_log_target_idx on platform.audit_log (target_type, target_id, id);

      -- The hash of an entry covers every column but id and hash, chained to the previous entry.
      create function platform.audit_entry_hash(e platform.audit_log) returns text
        language sql immutable as $f$
          select encode(sha256(convert_to(concat_ws(chr(31),
            e.prev_hash, to_char(e.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), e.subgraph, e.actor,
            array_to_string(e.actor_roles, ','), e.action, e.change, e.target_type, coalesce(e.target_id, ''),
            coalesce(e.organization_id::text, ''), coalesce(e.before::text, ''), coalesce(e.after::text, ''),
            coalesce(e.request_id, '')), 'UTF8')), 'hex')
        $f$;

      -- Appends are serialised and chained here, so no writer can skip or fake the chain.
      create function platform.audit_log_chain() returns trigger language plpgsql as $f$
        begin
          perform pg_advisory_xact_lock(hashtext('plangraph:audit_log'));
          -- ids follow the chain: taken only once this append holds the lock
          new.id := nextval(pg_get_serial_sequence('platform.audit_log', 'id'));
          new.occurred_at := clock_timestamp();
          select hash into new.prev_hash from platform.audit_log order by id desc limit 1;
          new.prev_hash := coalesce(new.prev_hash, 'genesis');
          new.hash := platform.audit_entry_hash(new);
          return new;
        end
      $f$;
      create trigger audit_log_chain before insert on platform.audit_log for each row execute function platform.audit_log_chain();

      create function platform.audit_log_append_only() returns trigger language plpgsql as $f$
        begin
          raise exception 'platform.audit_log is append-only' using errcode = 'insufficient_privilege';
        end
      $f$;
      create trigger audit_log_no_update before update or delete on platform.audit_log for each row execute function platform.audit_log_append_only();
      create trigger audit_log_no_truncate before truncate on platform.audit_log for each statement execute function platform.audit_log_append_only();
    `,
  },
  {
    id: '0003_job_workers',
    sql: `
      -- Heartbeats of live job workers (graphile-worker ids, as in graphile_worker.jobs.locked_by):
      -- a job locked by a worker missing here, or silent for JOB_LOCK_TIMEOUT_SECONDS, is unlocked.
      create table platform.job_worker (
        worker_id text primary key,
        owner text not null,
        host text not null,
        pid integer not null,
        started_at timestamptz not null default now(),
        heartbeat_at timestamptz not null
      );
      create index job_worker_heartbeat_idx on platform.job_worker (heartbeat_at);
    `,
  },
  {
    id: '0004_event_commit_order',
    sql: `
      -- Event ids in COMMIT order per topic (issue 21), so "events after id X" is an exact resume
      -- point. A bigserial id is taken at insert, and transactions commit in any order: a reader
      -- that saw id 11 committed could later miss id 10 committing after it. Here an event's id is
      -- taken only once its transaction holds a per-topic transaction-level advisory lock, kept until
      -- it commits or rolls back, so a later id of the same topic can only become visible after every
      -- earlier one. Alternatives considered: filtering history by pg_snapshot_xmin (needs a
      -- (xid, id) cursor and still lets the live stream deliver out of cursor order, so a client
      -- resuming from the last event it saw can skip an older transaction's event), or a look-back
      -- window (exact only if the client sends what it saw). The price is that event-emitting
      -- transactions of one topic serialise from their first emit to their commit (the same as the
      -- audit log's chain lock, which every audited mutation already takes); topics do not wait for
      -- each other.
      create function platform.event_commit_order() returns trigger language plpgsql as $f$
        begin
          perform pg_advisory_xact_lock(hashtext('plangraph:event:' || new.topic));
          new.id := nextval(pg_get_serial_sequence('platform.event', 'id'));
          return new;
        end
      $f$;
      create trigger event_commit_order before insert on platform.event for each row execute function platform.event_commit_order();
      create index event_topic_created_idx on platform.event (topic, created_at);
    `,
  },
  {
    id: '0005_webhook_event',
    sql: `
      -- The webhooks' transactional outbox (common/webhooks.ts): every subgraph stores the webhook
      -- events of a change in the change's transaction; the developers subgraph fans them out to
      -- the endpoints that want them. Ids are taken in COMMIT order (as platform.event's, 0004):
      -- the dispatcher's cursor "every event up to id X is fanned out" can then never skip an event
      -- of an older transaction that commits after a younger one. One lock for every type, since
      -- the dispatcher reads them all in one order.
      create table platform.webhook_event (
        id bigserial primary key,
        type text not null,
        organization_id uuid,
        occurred_at timestamptz not null,
        data jsonb not null,
        created_at timestamptz not null default now()
      );
      create function platform.webhook_event_commit_order() returns trigger language plpgsql as $f$
        begin
          perform pg_advisory_xact_lock(hashtext('plangraph:webhook_event'));
          new.id := nextval(pg_get_serial_sequence('platform.webhook_event', 'id'));
          return new;
        end
      $f$;
      create trigger webhook_event_commit_order before insert on platform.webhook_event for each row execute function platform.webhook_event_commit_order();
      create index webhook_event_created_idx on platform.webhook_event (created_at);
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
