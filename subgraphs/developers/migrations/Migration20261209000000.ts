import { Migration } from '@mikro-orm/migrations';

/**
 * Webhooks (issue 17, docs/WEBHOOKS.md): endpoints (an organization's, or the platform's when
 * `organization_id` is null) with their signing secrets sealed (AES-256-GCM, common/crypto.ts),
 * one delivery per (endpoint, event) fanned out from the outbox `platform.webhook_event` by the
 * dispatcher, whose cursor is the single row of `webhook_dispatch_cursor`. `seq` orders an
 * endpoint's deliveries: they are sent oldest first, one at a time.
 */
export class Migration20261209000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table developers.webhook_endpoint (
        id uuid primary key,
        organization_id uuid null references developers.organization (id) on delete cascade,
        url text not null,
        description text not null default '',
        event_types text[] not null,
        enabled boolean not null,
        enabled_at timestamptz not null,
        disabled_at timestamptz null,
        disabled_reason text null,
        secret_encrypted text not null,
        previous_secret_encrypted text null,
        previous_secret_expires_at timestamptz null,
        secret_rotated_at timestamptz null,
        from_event_id bigint not null,
        created_by text not null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    this.addSql(`create index webhook_endpoint_organization_idx on developers.webhook_endpoint (organization_id, created_at, id);`);
    this.addSql(`
      create table developers.webhook_delivery (
        id uuid primary key,
        seq bigserial not null,
        endpoint_id uuid not null references developers.webhook_endpoint (id) on delete cascade,
        event_id bigint not null,
        event_type text not null,
        organization_id uuid null,
        status text not null check (status in ('PENDING', 'SUCCEEDED', 'FAILED')),
        attempts integer not null default 0,
        last_attempt_at timestamptz null,
        response_status integer null,
        response_time_ms integer null,
        last_error text null,
        next_attempt_at timestamptz null,
        redelivery_of uuid null,
        created_at timestamptz not null,
        completed_at timestamptz null
      );`);
    this.addSql(`create index webhook_delivery_endpoint_idx on developers.webhook_delivery (endpoint_id, created_at, id);`);
    this.addSql(`create index webhook_delivery_pending_idx on developers.webhook_delivery (endpoint_id, seq) where status = 'PENDING';`);
    this.addSql(`create index webhook_delivery_event_idx on developers.webhook_delivery (event_id);`);
    this.addSql(`create index webhook_delivery_completed_idx on developers.webhook_delivery (completed_at) where status <> 'PENDING';`);
    this.addSql(`
      create table developers.webhook_dispatch_cursor (
        id integer primary key check (id = 1),
        last_event_id bigint not null
      );`);
    this.addSql(`insert into developers.webhook_dispatch_cursor (id, last_event_id) values (1, 0);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists developers.webhook_dispatch_cursor;`);
    this.addSql(`drop table if exists developers.webhook_delivery;`);
    this.addSql(`drop table if exists developers.webhook_endpoint;`);
  }
}
