/** The access-request event as subscribers get it (a GraphQL object type, not stored as an entity). */
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum AccessRequestEventType {
  REQUESTED = 'REQUESTED',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
  CANCELLED = 'CANCELLED',
  CREDENTIAL_ISSUED = 'CREDENTIAL_ISSUED',
  CREDENTIAL_ROTATED = 'CREDENTIAL_ROTATED',
  CREDENTIAL_REVOKED = 'CREDENTIAL_REVOKED',
  CREDENTIAL_EXPIRING = 'CREDENTIAL_EXPIRING',
  CREDENTIAL_REVOCATION_SCHEDULED = 'CREDENTIAL_REVOCATION_SCHEDULED',
  CREDENTIAL_REVOCATION_CANCELLED = 'CREDENTIAL_REVOCATION_CANCELLED',
  QUOTA_BOOST_GRANTED = 'QUOTA_BOOST_GRANTED',
  QUOTA_BOOST_REVOKED = 'QUOTA_BOOST_REVOKED',
  QUOTA_BOOST_EXPIRED = 'QUOTA_BOOST_EXPIRED',
  UPGRADE_OFFERED = 'UPGRADE_OFFERED',
  PLAN_MIGRATED = 'PLAN_MIGRATED',
  ADAPTIVE_LIMIT_TIGHTENED = 'ADAPTIVE_LIMIT_TIGHTENED',
  ADAPTIVE_LIMIT_RESTORED = 'ADAPTIVE_LIMIT_RESTORED',
  PLAN_ROLLOUT_LIMITS_CHANGED = 'PLAN_ROLLOUT_LIMITS_CHANGED',
  PLAN_ROLLOUT_ROLLED_BACK = 'PLAN_ROLLOUT_ROLLED_BACK',
  PLAN_ROLLOUT_COMPLETED = 'PLAN_ROLLOUT_COMPLETED',
}

registerEnumType(AccessRequestEventType, {
  name: 'AccessRequestEventType',
  description: 'What happened to an access request or credential.',
  valuesConfig: {
    REQUESTED: { description: 'A member requested access (`accessRequest` is set).' },
    APPROVED: { description: 'The request was approved (`accessRequest` and `credential` are set).' },
    REJECTED: { description: 'A portal admin rejected the request (`accessRequest` is set).' },
    CANCELLED: { description: 'A member withdrew the request (`accessRequest` is set).' },
    CREDENTIAL_ISSUED: { description: 'A credential was created by an approval (`credential`, and `accessRequest`).' },
    CREDENTIAL_ROTATED: {
      description: 'A credential was rotated: `credential` is the new one, its `replaces` the old one (revoked after the grace period).',
    },
    CREDENTIAL_REVOKED: { description: 'A credential was revoked, or its rotation grace period ended (`credential` is set).' },
    CREDENTIAL_EXPIRING: {
      description:
        'A credential expires soon: one event per stage of the countdown (CREDENTIAL_EXPIRY_WARNING_SECONDS before `expiresAt`, then 1 day and 1 hour before), each with `expiresAt`, `secondsLeft` and `leadSeconds`. None after the credential is revoked or rotated.',
    },
    CREDENTIAL_REVOCATION_SCHEDULED: {
      description:
        'An access review scheduled the revocation of a credential unused for a while (`revokeUnusedCredentials`): it is revoked at `revokeAt` unless it is used before then or an ORG_ADMIN keeps it (`keepCredential`). `reason` says why.',
    },
    CREDENTIAL_REVOCATION_CANCELLED: {
      description:
        'A scheduled revocation for want of use was called off: `reason` is USED (the credential was used after the revocation was scheduled) or KEPT (`keepCredential`). The credential stays ACTIVE.',
    },
    QUOTA_BOOST_GRANTED: { description: 'A temporary quota boost was granted on a credential (`quotaBoost` and `credential` are set).' },
    QUOTA_BOOST_REVOKED: { description: 'A quota boost was ended early (`quotaBoost` and `credential` are set).' },
    QUOTA_BOOST_EXPIRED: {
      description: 'A quota boost reached its `expiresAt`: the key is back to its plan’s limits (`quotaBoost` and `credential` are set).',
    },
    UPGRADE_OFFERED: {
      description:
        'The organization is offered the next tier for an app whose usage is projected to pass its plan’s quota (`upgradeOffer` and `credential` are set). Nothing changes until it is accepted.',
    },
    PLAN_MIGRATED: {
      description:
        'A portal admin’s bulk plan migration moved the credential to another plan (`credential` is set; its `plan` is the new one): same credential, secret and quota counters, new limits.',
    },
    ADAPTIVE_LIMIT_TIGHTENED: {
      description:
        'The upstream behind a plan the organization holds an ACTIVE credential on is unhealthy: the plan’s rate limit was tightened to its floor for every key (`plan`, the new rate in `effectiveRateRequests` per `effectiveRatePerSeconds`, and `reason`: ERROR_RATE_ABOVE or LATENCY_ABOVE). Sent to every organization holding such a credential.',
    },
    ADAPTIVE_LIMIT_RESTORED: {
      description:
        'A plan’s tightened rate limit is back to the plan’s own (`plan`, the rate in `effectiveRateRequests` per `effectiveRatePerSeconds`, and `reason`: RECOVERED, SETTING_REMOVED or PLAN_WITHOUT_RATE_LIMIT). Sent to every organization holding an ACTIVE credential on the plan.',
    },
    PLAN_ROLLOUT_LIMITS_CHANGED: {
      description:
        'The credential joined the cohort of a staged rollout of a change of its plan: its key now has the change’s (candidate) limits while the rollout runs (`credential`, `plan`, `planRolloutId`, and the limits in `effectiveQuotaRequests` per `effectiveQuotaPeriodSeconds` and `effectiveRateRequests` per `effectiveRatePerSeconds`; null: unlimited). One event per credential, when it joins.',
    },
    PLAN_ROLLOUT_ROLLED_BACK: {
      description:
        'The staged rollout whose cohort the credential was in was rolled back: its key is back on the plan’s limits (`credential`, `plan`, `planRolloutId`, the plan’s limits in the `effective*` fields, and `reason`: the evaluation’s or the portal admin’s words).',
    },
    PLAN_ROLLOUT_COMPLETED: {
      description:
        'A staged rollout of a change of the credential’s plan completed: the change is applied to the plan and the key has the plan’s new limits (`credential`, `plan`, `planRolloutId`, the limits in the `effective*` fields). Sent for every ACTIVE credential on the plan.',
    },
  },
});

@ObjectType({ description: 'Something that happened to an access request or credential of an organization.' })
export class AccessRequestEvent {
  @Field(() => ID, { description: 'Unique id of this event (stable: the same whether delivered live or read back from history).' })
  id!: string;

  @Field(() => String, {
    description:
      'Position of this event in the organization’s event stream (opaque). Pass the cursor of the last event you received as `after` to `accessRequestEvents` (to resume: missed events, then live ones, each once) or to `accessRequestEventsHistory`.',
  })
  cursor!: string;

  @Field(() => AccessRequestEventType, { description: 'What happened.' })
  type!: AccessRequestEventType;

  @Field(() => Date, { description: 'When it happened.' })
  occurredAt!: Date;

  @Field(() => ID, { description: 'The organization whose access request or credential it is.' })
  organizationId!: string;

  @Field(() => Date, {
    nullable: true,
    description: 'CREDENTIAL_EXPIRING: when the credential expires (its `expiresAt` when the event was published); null for other types.',
  })
  expiresAt!: Date | null;

  @Field(() => Int, {
    nullable: true,
    description: 'CREDENTIAL_EXPIRING: seconds from `occurredAt` to `expiresAt` (whole seconds, rounded down); null for other types.',
  })
  secondsLeft!: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'CREDENTIAL_EXPIRING: the countdown stage, as its lead time in seconds before `expiresAt` (e.g. 604800, 86400, 3600); null for other types.',
  })
  leadSeconds!: number | null;

  @Field(() => Date, {
    nullable: true,
    description: 'CREDENTIAL_REVOCATION_SCHEDULED: when the credential will be revoked unless it is used or kept; null for other types.',
  })
  revokeAt!: Date | null;

  @Field(() => String, {
    nullable: true,
    description:
      'CREDENTIAL_REVOCATION_SCHEDULED: why the revocation was scheduled (the portal admin’s or ORG_ADMIN’s words); CREDENTIAL_REVOCATION_CANCELLED: USED or KEPT; ADAPTIVE_LIMIT_TIGHTENED: ERROR_RATE_ABOVE or LATENCY_ABOVE; ADAPTIVE_LIMIT_RESTORED: RECOVERED, SETTING_REMOVED or PLAN_WITHOUT_RATE_LIMIT; PLAN_ROLLOUT_ROLLED_BACK: why the rollout was rolled back; null for other types.',
  })
  reason!: string | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'ADAPTIVE_LIMIT_*: the requests per `effectiveRatePerSeconds` the plan’s keys are allowed from now on (the floor when tightened, the plan’s own rate when restored); PLAN_ROLLOUT_*: the rate the credential’s key has from now on; null for other types, and when there is no rate limit.',
  })
  effectiveRateRequests!: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'ADAPTIVE_LIMIT_* and PLAN_ROLLOUT_*: the period of `effectiveRateRequests`, in seconds; null for other types, and when there is no rate limit.',
  })
  effectiveRatePerSeconds!: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'PLAN_ROLLOUT_*: the requests per `effectiveQuotaPeriodSeconds` the credential’s key is allowed from now on; null for other types, and when there is no quota.',
  })
  effectiveQuotaRequests!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'PLAN_ROLLOUT_*: the period of `effectiveQuotaRequests`, in seconds; null for other types, and when there is no quota.',
  })
  effectiveQuotaPeriodSeconds!: number | null;

  @Field(() => ID, {
    nullable: true,
    description: 'PLAN_ROLLOUT_*: the id of the staged rollout (`PlanRollout.id`); null for other types.',
  })
  planRolloutId!: string | null;

  /** ADAPTIVE_LIMIT_* and PLAN_ROLLOUT_* only: resolved by `AccessRequestEvent.plan`. */
  planId!: string | null;

  /** Resolved from the database by `AccessRequestEvent.accessRequest`. */
  accessRequestId!: string | null;

  /** Resolved from the database by `AccessRequestEvent.credential`. */
  credentialId!: string | null;

  /** QUOTA_BOOST_* only: resolved by `AccessRequestEvent.quotaBoost`. */
  quotaBoostId!: string | null;

  /** UPGRADE_OFFERED only: resolved by `AccessRequestEvent.upgradeOffer`. */
  upgradeOfferId!: string | null;
}
