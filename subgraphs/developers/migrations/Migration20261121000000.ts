import { Migration } from '@mikro-orm/migrations';

/** Developers, organizations and memberships, plus the membership view other subgraphs read. */
export class Migration20261121000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists developers;`);
    this.addSql(`
      create table developers.organization (
        id uuid primary key,
        name text not null,
        slug text not null,
        status text not null default 'ACTIVE' check (status in ('PENDING', 'ACTIVE', 'REJECTED', 'SUSPENDED')),
        created_by text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint organization_slug_key unique (slug)
      );`);
    this.addSql(`create index organization_created_at_id_idx on developers.organization (created_at, id);`);
    this.addSql(`
      create table developers.organization_member (
        id uuid primary key,
        organization_id uuid not null references developers.organization (id) on delete cascade,
        subject text not null,
        role text not null check (role in ('ORG_ADMIN', 'MEMBER')),
        created_at timestamptz not null default now(),
        constraint organization_member_unique unique (organization_id, subject)
      );`);
    this.addSql(`create index organization_member_subject_idx on developers.organization_member (subject);`);
    // Published view: who belongs to which organization, with which role. Other subgraphs
    // (usage, provider) authorise organization-scoped reads with it. Keep its columns stable.
    this.addSql(`
      create view developers.membership_contract as
        select m.organization_id, m.subject, m.role, o.status as organization_status
        from developers.organization_member m
        join developers.organization o on o.id = m.organization_id;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists developers.membership_contract;`);
    this.addSql(`drop table if exists developers.organization_member;`);
    this.addSql(`drop table if exists developers.organization;`);
  }
}
