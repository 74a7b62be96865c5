import { registerEnumType } from 'type-graphql';

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

export enum QuotaScope {
  CREDENTIAL = 'CREDENTIAL',
  APP = 'APP',
  ORGANIZATION = 'ORGANIZATION',
}

registerEnumType(QuotaScope, {
  name: 'QuotaScope',
  description: [
    'Who shares one quota and rate-limit counter. Tyk counts per key by default; for APP and ORGANIZATION the',
    'provider sync sets the key’s `rate_limit_pattern` (quota pattern) metadata (Tyk 5.3+) to the app or',
    'organization id, which makes Tyk key its rate-limit and quota counters on that value, so every credential of',
    'the app or organization draws from the same allowance.',
  ].join(' '),
  valuesConfig: {
    CREDENTIAL: { description: 'Each credential (Tyk key) has its own counter. The default, and Tyk’s own behavior.' },
    APP: { description: 'All credentials of one app share one counter.' },
    ORGANIZATION: { description: 'All credentials of one organization (all its apps) share one counter under this plan.' },
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

export enum CredentialKind {
  API_KEY = 'API_KEY',
  OAUTH_CLIENT = 'OAUTH_CLIENT',
}

registerEnumType(CredentialKind, {
  name: 'CredentialKind',
  description: 'What an approved access request under a plan receives.',
  valuesConfig: {
    API_KEY: { description: 'An API key (`pgk_…`, see docs/CREDENTIALS.md), enforced by a Tyk key with the plan’s policies.' },
    OAUTH_CLIENT: {
      description:
        'OAuth2 client credentials (client id and secret) registered for the app at the identity provider of the plan’s provider (RFC 7591), with the plan’s `jwtScopes`; the app gets JWT access tokens with the client-credentials grant and Tyk applies the plan that matches their scope.',
    },
  },
});
