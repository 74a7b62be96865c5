import type { MikroORM } from '@mikro-orm/postgresql';
import { initOrm } from '../../common/db';
import { createLogger } from '../../common/logger';
import { PgPubSub } from '../../common/pubsub';
import { usageSubgraph } from '../../subgraphs/usage';
import { raiseQuotaWarning } from '../../test/kit/quota-warnings';
import { QuotaWarningKind } from '../../subgraphs/usage/entities/quota-warning';

const HOUR = 3_600_000;

/**
 * Raises quota warnings the way the usage ingest does — `raiseQuotaWarning` from the test kit
 * runs the ingest's `insertQuotaWarnings`: the row and the `platform.event` are written and
 * `pg_notify` is sent in one transaction — from the benchmark process, on the usage schema of the
 * benchmark's database.
 * The usage subgraph processes pick the notification up and deliver it to their subscribers.
 */
export class WarningRaiser {
  private readonly pubsub = new PgPubSub();
  /** Every warning gets a quota window of its own, so none is a duplicate that is dropped. */
  private window = Date.UTC(2030, 0, 1);

  private constructor(private readonly orm: MikroORM) {}

  static async connect(databaseUrl: string): Promise<WarningRaiser> {
    const orm = await initOrm({
      schema: 'usage',
      databaseUrl,
      entities: usageSubgraph.entities,
      migrations: usageSubgraph.migrations,
      log: createLogger('bench', 'warn'),
      poolMax: 4,
    });
    return new WarningRaiser(orm);
  }

  async raise(organizationId: string, thresholdPercent = 90): Promise<void> {
    this.window += HOUR;
    const warning = await raiseQuotaWarning(this.orm.em.fork(), this.pubsub, {
      organizationId,
      kind: QuotaWarningKind.SOFT,
      thresholdPercent,
      used: thresholdPercent * 10,
      limit: 1000,
      windowStart: new Date(this.window),
      resetsAt: new Date(this.window + HOUR),
    });
    if (!warning) throw new Error('the quota warning was a duplicate and was not raised');
  }

  async close(): Promise<void> {
    await this.orm.close(true);
  }
}
