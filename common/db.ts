import { MikroORM, DataloaderType, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { MigrationObject } from '@mikro-orm/core';
import pg from 'pg';
import type { Logger } from './logger';
import { AuditSubscriber } from './audit';
import { registerOrmClock, systemClock, type Clock } from './clock';

export interface OrmOptions {
  /** PostgreSQL schema owned by the subgraph; its tables and migration table live there. */
  schema: string;
  databaseUrl: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- MikroORM's own type for entity classes
  entities: Function[];
  migrations: MigrationObject[];
  log: Logger;
  /** Called with every SQL statement MikroORM runs (tests and benchmarks count them). */
  onQuery?: (sql: string) => void;
  poolMax?: number;
  /** Time source of the entities' timestamps (default: the system clock); see `entityNow` in `common/clock.ts`. */
  clock?: Clock;
}

/** One MikroORM instance per subgraph process, bound to its own schema. */
export async function initOrm(options: OrmOptions): Promise<MikroORM> {
  const config: Options = {
    clientUrl: options.databaseUrl,
    schema: options.schema,
    entities: options.entities,
    extensions: [Migrator],
    subscribers: [new AuditSubscriber(options.schema)],
    dataloader: DataloaderType.ALL,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    pool: { min: 0, max: options.poolMax ?? 10 },
    allowGlobalContext: false,
    forceUtcTimezone: true,
    // `em.create()` stamps creation times at once (see `entityNow` in common/clock.ts).
    processOnCreateHooksEarly: true,
    debug: options.onQuery ? ['query'] : false,
    logger: (message: string) => {
      if (options.onQuery) {
        const sql = message.replace(/^\[query\]\s*/, '');
        options.onQuery(sql);
      }
    },
    colors: false,
    migrations: {
      tableName: `${options.schema}.mikro_orm_migrations`,
      migrationsList: options.migrations,
      transactional: true,
      allOrNothing: true,
      silent: true,
      snapshot: false,
      emit: 'ts',
    },
  };
  const orm = await MikroORM.init(config);
  registerOrmClock(orm.config, options.clock ?? systemClock);
  return orm;
}

/**
 * Runs work while holding a PostgreSQL advisory lock, so replicas starting together apply
 * migrations one at a time.
 */
export async function withAdvisoryLock<T>(databaseUrl: string, key: string, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [key]);
    try {
      return await work();
    } finally {
      await client.query('select pg_advisory_unlock(hashtext($1))', [key]);
    }
  } finally {
    await client.end();
  }
}

export async function migrate(orm: MikroORM, databaseUrl: string, schema: string, log: Logger): Promise<void> {
  await withAdvisoryLock(databaseUrl, `plangraph:migrate:${schema}`, async () => {
    const migrator = orm.getMigrator();
    const applied = await migrator.up();
    if (applied.length) log.info({ schema, migrations: applied.map((m) => m.name) }, 'migrations applied');
  });
}

/** Readiness: the database answers and no migration is pending. */
export async function readiness(orm: MikroORM): Promise<{ ok: boolean; reason?: string }> {
  try {
    await orm.em.getConnection().execute('select 1');
  } catch (error) {
    return { ok: false, reason: `database unreachable: ${(error as Error).message}` };
  }
  try {
    const pending = await orm.getMigrator().getPendingMigrations();
    if (pending.length) return { ok: false, reason: `${pending.length} migration(s) pending` };
  } catch (error) {
    return { ok: false, reason: `migrations unknown: ${(error as Error).message}` };
  }
  return { ok: true };
}
