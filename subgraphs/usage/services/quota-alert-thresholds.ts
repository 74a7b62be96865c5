/** The rules of alert thresholds: the built-in defaults, how many an organization or app may set, and their check. */
import type { Validation } from '../../../common/mutation';

/** Thresholds (percent of quota) used when an organization has set none. */
export const DEFAULT_QUOTA_ALERT_THRESHOLDS: readonly number[] = Object.freeze([80, 90, 100]);
export const MAX_QUOTA_ALERT_THRESHOLDS = 10;

export function validateThresholds(validation: Validation, thresholds: number[]): void {
  const field = 'input.thresholds';
  if (thresholds.length < 1 || thresholds.length > MAX_QUOTA_ALERT_THRESHOLDS) {
    validation.fail(field, `Give between 1 and ${MAX_QUOTA_ALERT_THRESHOLDS} thresholds (you gave ${thresholds.length}).`);
  }
  const outOfRange = thresholds.filter((t) => !Number.isInteger(t) || t < 1 || t > 100);
  if (outOfRange.length) {
    validation.fail(field, `Thresholds are percentages of the quota from 1 to 100: fix or remove ${[...new Set(outOfRange)].join(', ')}.`);
  }
  const repeated = [...new Set(thresholds.filter((t, i) => thresholds.indexOf(t) !== i))];
  if (repeated.length) validation.fail(field, `Give each threshold once: remove the repeated ${repeated.join(', ')}.`);
}

/** Where a quota warning is delivered: the `quotaWarnings` subscription, organization webhooks. */
export enum QuotaAlertChannel {
  SUBSCRIPTION = 'SUBSCRIPTION',
  WEBHOOK = 'WEBHOOK',
}

export const ALL_QUOTA_ALERT_CHANNELS: readonly QuotaAlertChannel[] = Object.freeze([
  QuotaAlertChannel.SUBSCRIPTION,
  QuotaAlertChannel.WEBHOOK,
]);
/** Longest cool-down a rule may set: 30 days. */
export const MAX_COOL_DOWN_SECONDS = 30 * 86_400;
export const MAX_REARM_MARGIN_PERCENT = 99;

/** How warnings of a rule are paced and delivered, beside its thresholds. */
export interface QuotaAlertPolicy {
  /** After a warning is delivered, the same one (counter, kind, threshold) is held back for this long, even in a new window. */
  coolDownSeconds: number;
  /**
   * Hysteresis: after a warning is delivered, the same one is held back until the counter has had a
   * window that ended below `threshold − rearmMarginPercent` (or a whole quota period without
   * traffic). 0 = re-armed by every new window.
   */
  rearmMarginPercent: number;
  /** Channels per threshold; a threshold left out goes to every channel. */
  channels: ReadonlyMap<number, readonly QuotaAlertChannel[]>;
}

export const DEFAULT_QUOTA_ALERT_POLICY: QuotaAlertPolicy = Object.freeze({
  coolDownSeconds: 0,
  rearmMarginPercent: 0,
  channels: new Map(),
});

/** The channels of a threshold under a policy. */
export function channelsOf(policy: QuotaAlertPolicy, threshold: number): readonly QuotaAlertChannel[] {
  return policy.channels.get(threshold) ?? ALL_QUOTA_ALERT_CHANNELS;
}

/** Checks the pacing and channels of a rule against its thresholds. */
export function validatePolicy(
  validation: Validation,
  thresholds: number[],
  input: {
    coolDownSeconds?: number | null;
    rearmMarginPercent?: number | null;
    channels?: { thresholdPercent: number; channels: string[] }[] | null;
  },
): void {
  const cool = input.coolDownSeconds ?? 0;
  if (!Number.isInteger(cool) || cool < 0 || cool > MAX_COOL_DOWN_SECONDS)
    validation.fail('input.coolDownSeconds', `Give 0 (off) to ${MAX_COOL_DOWN_SECONDS} seconds (30 days).`);
  const margin = input.rearmMarginPercent ?? 0;
  if (!Number.isInteger(margin) || margin < 0 || margin > MAX_REARM_MARGIN_PERCENT)
    validation.fail('input.rearmMarginPercent', `Give 0 (off) to ${MAX_REARM_MARGIN_PERCENT} percentage points.`);
  const seen = new Set<number>();
  (input.channels ?? []).forEach((entry, i) => {
    const field = `input.channels[${i}]`;
    if (!thresholds.includes(entry.thresholdPercent))
      validation.fail(`${field}.thresholdPercent`, `Give channels only for thresholds in \`thresholds\` (${thresholds.join(', ')}).`);
    if (seen.has(entry.thresholdPercent)) validation.fail(`${field}.thresholdPercent`, 'Give each threshold’s channels once.');
    seen.add(entry.thresholdPercent);
    if (entry.channels.length < 1 || new Set(entry.channels).size !== entry.channels.length)
      validation.fail(`${field}.channels`, 'Give at least one channel, each once.');
  });
}
