/**
 * Day partitions of `usage.usage_record` (`usage_record_pYYYYMMDD`), created on demand before a
 * batch that needs them, in their own short transaction.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { query, relationExists, transactionLock } from '../../../common/sql';
import type { UsageRecord } from '../services/records';

/** Partitions known to exist in this process (`usage_record_pYYYYMMDD`). */
const knownPartitions = new Set<string>();

/** The UTC days (YYYY-MM-DD) records fall on. */
export function daysOf(records: readonly UsageRecord[]): string[] {
  const days = new Set<number>();
  for (const record of records) days.add(Math.floor(record.micros / 86_400_000_000));
  return [...days].map((day) => new Date(day * 86_400_000).toISOString().slice(0, 10));
}

/** Creates the day partitions the records need (own short transaction, serialised by a lock). */
export async function ensurePartitions(orm: MikroORM, days: Iterable<string>): Promise<void> {
  const missing = [...new Set(days)].filter((day) => !knownPartitions.has(day));
  if (!missing.length) return;
  await orm.em.fork().transactional(async (tx) => {
    await transactionLock(tx, 'plangraph:usage:partitions');
    for (const day of missing) {
      const name = `usage_record_p${day.replace(/-/g, '')}`;
      const from = `${day}T00:00:00Z`;
      const to = new Date(Date.parse(from) + 86_400_000).toISOString();
      if (!(await relationExists(tx, `usage.${name}`))) {
        await query(tx, `create table usage.${name} partition of usage.usage_record for values from ('${from}') to ('${to}')`);
      }
    }
  });
  for (const day of missing) knownPartitions.add(day);
}

export function isMissingPartition(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23514' && /no partition/i.test(String((error as Error).message));
}

/** Forgets what this process knew (a partition was dropped behind its back). */
export function forgetKnownPartitions(): void {
  knownPartitions.clear();
}
