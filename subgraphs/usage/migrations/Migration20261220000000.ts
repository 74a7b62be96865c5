import { Migration } from '@mikro-orm/migrations';

/**
 * Room for HOT updates in the rows every ingest batch adds to: `usage_rollup` (the current
 * minute's, hour's and day's cells) and `quota_window` (each counter's current window). With full
 * pages, each update writes its new row version to another page and a new entry into the primary
 * key, so a cell updated by every batch leaves a trail of dead index entries that the next batch's
 * `on conflict` probe walks; with free space on the page the new version stays there (heap-only
 * tuple), no index entry is written and the page prunes the old versions itself. Applies to pages
 * filled from now on.
 */
export class Migration20261220000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table usage.usage_rollup set (fillfactor = 70);`);
    this.addSql(`alter table usage.quota_window set (fillfactor = 70);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table usage.usage_rollup reset (fillfactor);`);
    this.addSql(`alter table usage.quota_window reset (fillfactor);`);
  }
}
