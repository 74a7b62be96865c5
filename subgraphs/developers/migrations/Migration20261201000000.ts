import { Migration } from '@mikro-orm/migrations';

/**
 * Trigram indexes for substring search (`organizations(filter: {search})`, `apps(filter:
 * {search})`): ILIKE '%text%' uses them instead of reading every row. pg_trgm is a contrib
 * extension, trusted since PostgreSQL 13 (a database owner may create it); it is created once
 * per database, in `platform`, under a lock shared with the other subgraphs' migrations, and
 * the operator class is taken from wherever the extension lives.
 */
export class Migration20261201000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`select pg_advisory_xact_lock(hashtext('plangraph:extension:pg_trgm'));`);
    this.addSql(`create schema if not exists platform;`);
    this.addSql(`create extension if not exists pg_trgm with schema platform;`);
    this.addSql(`
      do $$
      declare
        ext text := (select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm');
      begin
        execute format('create index organization_name_trgm_idx on developers.organization using gin (name %I.gin_trgm_ops)', ext);
        execute format('create index organization_slug_trgm_idx on developers.organization using gin (slug %I.gin_trgm_ops)', ext);
        execute format('create index app_name_trgm_idx on developers.app using gin (name %I.gin_trgm_ops)', ext);
      end
      $$;`);
  }
}
