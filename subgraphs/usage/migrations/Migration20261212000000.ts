import { Migration } from '@mikro-orm/migrations';

/**
 * Quota warnings without flapping: per rule a cool-down and a re-arm margin (hysteresis), and the
 * channels each threshold is delivered on; per warning why it was held back (if it was) and the
 * channels it went to. The defaults (0, 0, every channel) keep the earlier behaviour.
 */
export class Migration20261212000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table usage.quota_alert_rule
        add column cool_down_seconds integer not null default 0
          constraint quota_alert_rule_cool_down_check check (cool_down_seconds between 0 and 2592000),
        add column rearm_margin_percent integer not null default 0
          constraint quota_alert_rule_rearm_margin_check check (rearm_margin_percent between 0 and 99),
        add column channels jsonb not null default '{}'
          constraint quota_alert_rule_channels_check check (jsonb_typeof(channels) = 'object');`);
    this.addSql(`
      alter table usage.quota_warning
        add column suppressed_reason text null
          constraint quota_warning_suppressed_reason_check check (suppressed_reason in ('COOL_DOWN', 'NOT_REARMED')),
        add column channels text[] not null default '{SUBSCRIPTION,WEBHOOK}';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table usage.quota_warning drop column if exists channels, drop column if exists suppressed_reason;`);
    this.addSql(
      `alter table usage.quota_alert_rule drop column if exists channels, drop column if exists rearm_margin_percent, drop column if exists cool_down_seconds;`,
    );
  }
}
