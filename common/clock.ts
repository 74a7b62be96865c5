/**
 * The time source of every rule that depends on "now" (quota windows, access-request limits,
 * expiry, grace periods). Production uses the system clock; tests inject a controllable one.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
