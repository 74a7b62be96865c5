import { Migration } from '@mikro-orm/migrations';

/** Teams inside organizations, and the team membership view catalogs' audiences are checked with. */
export class Migration20261122010000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table developers.team (
        id uuid primary key,
        organization_id uuid not null references developers.organization (id) on delete cascade,
        name text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint team_organization_name_key unique (organization_id, name)
      );`);
    this.addSql(`
      create table developers.team_member (
        id uuid primary key,
        team_id uuid not null references developers.team (id) on delete cascade,
        subject text not null,
        created_at timestamptz not null default now(),
        constraint team_member_key unique (team_id, subject)
      );`);
    this.addSql(`create index team_member_subject_idx on developers.team_member (subject);`);
    // Published view: who is in which team (and the team's organization and its status).
    this.addSql(`
      create view developers.team_membership_contract as
        select t.id as team_id, t.organization_id, tm.subject, o.status as organization_status
        from developers.team_member tm
        join developers.team t on t.id = tm.team_id
        join developers.organization o on o.id = t.organization_id;`);

    // Published views: which organizations and teams exist (catalog audiences refer to them).
    this.addSql(`create view developers.organization_contract as select id, name, status from developers.organization;`);
    this.addSql(`create view developers.team_contract as select id, organization_id, name from developers.team;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists developers.team_contract, developers.organization_contract;`);
    this.addSql(`drop view if exists developers.team_membership_contract;`);
    this.addSql(`drop table if exists developers.team_member, developers.team;`);
  }
}
