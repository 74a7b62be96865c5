import { registerEnumType } from 'type-graphql';
import { CredentialKind, QuotaScope } from '../../../common/shared-enums';

export enum PlanStatus {
  DRAFT = 'DRAFT',
  PUBLISHED = 'PUBLISHED',
  ARCHIVED = 'ARCHIVED',
}

registerEnumType(PlanStatus, {
  name: 'PlanStatus',
  description: [
    'Lifecycle of a plan. Only PUBLISHED plans are shown to developers (through the catalogs the plan is in).',
    'State machine: DRAFT → PUBLISHED (`publishPlan`, needs at least one catalog); DRAFT → ARCHIVED and',
    'PUBLISHED → ARCHIVED (`archivePlan`); ARCHIVED → PUBLISHED (`publishPlan`, re-publishing). Publishing a',
    'PUBLISHED plan or archiving an ARCHIVED one is refused with INVALID_TRANSITION, and so is changing the',
    'settings of an ARCHIVED plan (`updatePlan`, `rollbackPlan`): re-publish it first. Only plans that were never',
    'published may be deleted (`deletePlan`); the others are archived instead (ARCHIVE_INSTEAD).',
  ].join(' '),
  valuesConfig: {
    DRAFT: { description: 'Being prepared; visible to portal admins only. May be edited, published, archived or deleted.' },
    PUBLISHED: { description: 'Offered to developers in the plan’s catalogs; access can be requested. May be edited or archived.' },
    ARCHIVED: {
      description:
        'No longer offered; visible to portal admins only, settings frozen. Existing access keeps working until revoked. May be re-published.',
    },
  },
});

/** Named quota periods and their length in seconds (Tyk's month is 30 days). */
export enum QuotaPeriod {
  HOUR = 'HOUR',
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
  CUSTOM = 'CUSTOM',
}

export const PERIOD_SECONDS: Record<Exclude<QuotaPeriod, QuotaPeriod.CUSTOM>, number> = {
  [QuotaPeriod.HOUR]: 3_600,
  [QuotaPeriod.DAY]: 86_400,
  [QuotaPeriod.WEEK]: 604_800,
  [QuotaPeriod.MONTH]: 2_592_000,
};

registerEnumType(QuotaPeriod, {
  name: 'QuotaPeriod',
  description: 'How long a usage quota lasts before it renews.',
  valuesConfig: {
    HOUR: { description: 'One hour (3600 seconds).' },
    DAY: { description: 'One day (86400 seconds).' },
    WEEK: { description: 'One week (604800 seconds).' },
    MONTH: { description: 'One month as Tyk counts it: 30 days (2592000 seconds).' },
    CUSTOM: { description: 'A custom number of seconds (`periodSeconds`, 60–31536000).' },
  },
});

export enum PlanChangeAction {
  CREATED = 'CREATED',
  UPDATED = 'UPDATED',
  PUBLISHED = 'PUBLISHED',
  ARCHIVED = 'ARCHIVED',
  ROLLED_BACK = 'ROLLED_BACK',
}

registerEnumType(PlanChangeAction, {
  name: 'PlanChangeAction',
  description: 'Which mutation wrote a plan version.',
  valuesConfig: {
    CREATED: { description: '`createPlan`, or a policy imported from a provider (`changedBy: system:import`): the first version.' },
    UPDATED: {
      description:
        '`updatePlan`, an approved `proposePlanChange` (`approvedBy` set) or a provider import (`changedBy: system:import`): settings changed.',
    },
    PUBLISHED: { description: '`publishPlan` (or re-publishing an archived plan).' },
    ARCHIVED: { description: '`archivePlan`.' },
    ROLLED_BACK: { description: '`rollbackPlan`: settings copied from an older version (`rolledBackTo`).' },
  },
});

export { CredentialKind, QuotaScope };
