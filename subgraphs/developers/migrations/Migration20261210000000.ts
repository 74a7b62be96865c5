import { Migration } from '@mikro-orm/migrations';

/**
 * App visibility: `app.visibility` (PERSONAL, TEAM or ORGANIZATION; existing apps keep what they
 * had: ORGANIZATION). A TEAM app always has a team (check constraint); deleting a team turns its
 * TEAM apps PERSONAL first (`deleteTeam`), so no member sees more than before. `app_contract`
 * gains `visibility` and `created_by` at its end, for readers that apply the same rule.
 */
export class Migration20261210000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table developers.app add column visibility text not null default 'ORGANIZATION';`);
    this.addSql(
      `alter table developers.app add constraint app_visibility_check check (visibility in ('PERSONAL', 'TEAM', 'ORGANIZATION'));`,
    );
    this.addSql(
      `alter table developers.app add constraint app_team_visibility_needs_team_check check (visibility <> 'TEAM' or team_id is not null);`,
    );
    this.addSql(
      `create or replace view developers.app_contract as select id, organization_id, team_id, name, visibility, created_by from developers.app;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists developers.app_contract;`);
    this.addSql(`create view developers.app_contract as select id, organization_id, team_id, name from developers.app;`);
    this.addSql(`alter table developers.app drop column visibility;`);
  }
}
