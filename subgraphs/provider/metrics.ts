/**
 * The provider subgraph's own metrics (docs/OBSERVABILITY.md), read at scrape time with two
 * cheap statements: how plans, products and credentials stand in their provider (the sync state
 * in `policy_link` and `credential_key`), and how far the provider lags behind the portal (the
 * changes whose sync job has not finished, by the job keys `plan:`, `product:`, `key:`, `revoke:`;
 * the same jobs `Plan.sync.pendingSince` reads).
 */
import { gauge, sharedRead } from '../../common/metrics';
import type { JobRuntime } from '../../common/server';

const KINDS = ['plan', 'product', 'credential'] as const;
const STATUSES = ['PENDING', 'SYNCED', 'FAILED', 'MISSING'] as const;

const STATE_SQL = `
  select kind, status, count(*)::int as objects, coalesce(sum(attempts) filter (where status = 'FAILED'), 0)::int as failed_attempts
    from (select lower(kind) as kind, status, attempts from provider.policy_link
          union all
          select 'credential', sync_status, attempts from provider.credential_key) as s
   group by kind, status`;

const LAG_SQL = `
  select case when key like 'plan:%' then 'plan' when key like 'product:%' then 'product' else 'credential' end as kind,
         count(*)::int as pending,
         coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as lag_seconds
    from graphile_worker.jobs
   where task_identifier like 'provider.%'
     and (key like 'plan:%' or key like 'product:%' or key like 'key:%' or key like 'revoke:%')
   group by 1`;

interface StateRow {
  kind: string;
  status: string;
  objects: number;
  failed_attempts: number;
}

interface LagRow {
  kind: string;
  pending: number;
  lag_seconds: number;
}

export function providerMetrics(runtime: JobRuntime): void {
  const registry = runtime.metrics;
  const read = sharedRead(registry, 'provider-sync', async () => {
    const connection = runtime.orm.em.getConnection();
    const states = await connection.execute<StateRow[]>(STATE_SQL);
    const lags = await connection.execute<LagRow[]>(LAG_SQL);
    return { states, lags };
  });
  gauge(registry, {
    name: 'plangraph_provider_sync_objects',
    help: 'Plans, products and credentials per sync state in their provider (PENDING, SYNCED, FAILED: the last attempt failed, MISSING: deleted in Tyk)',
    labelNames: ['kind', 'status'],
    async collect() {
      const rows = await read();
      if (!rows) return;
      this.reset();
      for (const kind of KINDS) for (const status of STATUSES) this.set({ kind, status }, 0);
      for (const row of rows.states) this.set({ kind: row.kind, status: row.status }, row.objects);
    },
  });
  gauge(registry, {
    name: 'plangraph_provider_sync_failed_attempts',
    help: 'Failed attempts since their last success, summed over the plans, products and credentials whose last sync failed',
    labelNames: ['kind'],
    async collect() {
      const rows = await read();
      if (!rows) return;
      this.reset();
      for (const kind of KINDS) this.set({ kind }, 0);
      for (const row of rows.states) if (row.status === 'FAILED') this.set({ kind: row.kind }, row.failed_attempts);
    },
  });
  gauge(registry, {
    name: 'plangraph_provider_sync_pending',
    help: 'Changes of plans, products and credentials not in the provider yet (their sync job has not finished)',
    labelNames: ['kind'],
    async collect() {
      const rows = await read();
      if (!rows) return;
      this.reset();
      for (const kind of KINDS) this.set({ kind }, 0);
      for (const row of rows.lags) this.set({ kind: row.kind }, row.pending);
    },
  });
  gauge(registry, {
    name: 'plangraph_provider_sync_lag_seconds',
    help: 'Age of the oldest change not in the provider yet, per kind (0 when the provider holds everything)',
    labelNames: ['kind'],
    async collect() {
      const rows = await read();
      if (!rows) return;
      this.reset();
      for (const kind of KINDS) this.set({ kind }, 0);
      for (const row of rows.lags) this.set({ kind: row.kind }, Number(row.lag_seconds));
    },
  });
}
