import { Migration } from '@mikro-orm/migrations';

/**
 * Developer profiles, organization decisions, invitations and apps; the published `app_contract`
 * view; and a `team_membership_contract` that only lists people who still belong to the team's
 * organization.
 */
export class Migration20261123000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table developers.developer (
        id uuid primary key,
        subject text not null,
        email text,
        display_name text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint developer_subject_key unique (subject)
      );`);
    this.addSql(`create index developer_email_idx on developers.developer (lower(email)) where email is not null;`);

    // The latest status decision of an organization (approve, reject, suspend, reactivate).
    this.addSql(`
      alter table developers.organization
        add column decided_by text,
        add column decided_at timestamptz,
        add column decision_reason text;`);

    this.addSql(`
      create table developers.invitation (
        id uuid primary key,
        organization_id uuid not null references developers.organization (id) on delete cascade,
        email text not null check (email = lower(email)),
        role text not null check (role in ('ORG_ADMIN', 'MEMBER')),
        status text not null default 'PENDING' check (status in ('PENDING', 'ACCEPTED', 'REVOKED', 'EXPIRED')),
        invited_by text not null,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null,
        accepted_by text,
        accepted_at timestamptz,
        revoked_by text,
        revoked_at timestamptz
      );`);
    // At most one PENDING invitation per organization and email (expired ones are marked EXPIRED first).
    this.addSql(`create unique index invitation_pending_key on developers.invitation (organization_id, email) where status = 'PENDING';`);
    this.addSql(`create index invitation_email_idx on developers.invitation (email) where status = 'PENDING';`);
    this.addSql(`create index invitation_organization_created_idx on developers.invitation (organization_id, created_at, id);`);

    // Lets apps reference (team, organization) so an app's team is always of the app's organization.
    this.addSql(`alter table developers.team add constraint team_id_organization_key unique (id, organization_id);`);
    this.addSql(`
      create table developers.app (
        id uuid primary key,
        organization_id uuid not null references developers.organization (id) on delete cascade,
        team_id uuid,
        name text not null,
        description text not null default '',
        redirect_uris text[] not null default '{}',
        created_by text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint app_team_fkey foreign key (team_id, organization_id)
          references developers.team (id, organization_id) on delete set null (team_id)
      );`);
    this.addSql(`create unique index app_organization_name_key on developers.app (organization_id, lower(name));`);
    this.addSql(`create index app_organization_created_idx on developers.app (organization_id, created_at, id);`);
    this.addSql(`create index app_created_at_id_idx on developers.app (created_at, id);`);
    this.addSql(`create index app_team_idx on developers.app (team_id) where team_id is not null;`);

    // Published view: apps and their owners (the usage subgraph attributes traffic with it).
    // Keep its columns stable; add new ones at the end only.
    this.addSql(`create view developers.app_contract as select id, organization_id, team_id, name from developers.app;`);

    // Same columns as before; a team member who has left the organization no longer counts.
    this.addSql(`
      create or replace view developers.team_membership_contract as
        select t.id as team_id, t.organization_id, tm.subject, o.status as organization_status
        from developers.team_member tm
        join developers.team t on t.id = tm.team_id
        join developers.organization o on o.id = t.organization_id
        join developers.organization_member m on m.organization_id = t.organization_id and m.subject = tm.subject;`);
  }

  override async down(): Promise<void> {
    this.addSql(`
      create or replace view developers.team_membership_contract as
        select t.id as team_id, t.organization_id, tm.subject, o.status as organization_status
        from developers.team_member tm
        join developers.team t on t.id = tm.team_id
        join developers.organization o on o.id = t.organization_id;`);
    this.addSql(`drop view if exists developers.app_contract;`);
    this.addSql(`drop table if exists developers.app;`);
    this.addSql(`alter table developers.team drop constraint if exists team_id_organization_key;`);
    this.addSql(`drop table if exists developers.invitation;`);
    this.addSql(`alter table developers.organization drop column decided_by, drop column decided_at, drop column decision_reason;`);
    this.addSql(`drop table if exists developers.developer;`);
  }
}
