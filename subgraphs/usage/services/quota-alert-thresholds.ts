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
