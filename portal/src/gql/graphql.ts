/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** Which invitation to accept. */
export type AcceptInvitationInput = {
  /** Invitation id. */
  invitationId: string | number;
};

/** What happened to an access request or credential. */
export type AccessRequestEventType =
  /** A plan’s tightened rate limit is back to the plan’s own (`plan`, the rate in `effectiveRateRequests` per `effectiveRatePerSeconds`, and `reason`: RECOVERED, SETTING_REMOVED or PLAN_WITHOUT_RATE_LIMIT). Sent to every organization holding an ACTIVE credential on the plan. */
  | 'ADAPTIVE_LIMIT_RESTORED'
  /** The upstream behind a plan the organization holds an ACTIVE credential on is unhealthy: the plan’s rate limit was tightened to its floor for every key (`plan`, the new rate in `effectiveRateRequests` per `effectiveRatePerSeconds`, and `reason`: ERROR_RATE_ABOVE or LATENCY_ABOVE). Sent to every organization holding such a credential. */
  | 'ADAPTIVE_LIMIT_TIGHTENED'
  /** The request was approved (`accessRequest` and `credential` are set). */
  | 'APPROVED'
  /** A member withdrew the request (`accessRequest` is set). */
  | 'CANCELLED'
  /** A credential expires soon: one event per stage of the countdown (CREDENTIAL_EXPIRY_WARNING_SECONDS before `expiresAt`, then 1 day and 1 hour before), each with `expiresAt`, `secondsLeft` and `leadSeconds`. None after the credential is revoked or rotated. */
  | 'CREDENTIAL_EXPIRING'
  /** A credential was created by an approval (`credential`, and `accessRequest`). */
  | 'CREDENTIAL_ISSUED'
  /** A scheduled revocation for want of use was called off: `reason` is USED (the credential was used after the revocation was scheduled) or KEPT (`keepCredential`). The credential stays ACTIVE. */
  | 'CREDENTIAL_REVOCATION_CANCELLED'
  /** An access review scheduled the revocation of a credential unused for a while (`revokeUnusedCredentials`): it is revoked at `revokeAt` unless it is used before then or an ORG_ADMIN keeps it (`keepCredential`). `reason` says why. */
  | 'CREDENTIAL_REVOCATION_SCHEDULED'
  /** A credential was revoked, or its rotation grace period ended (`credential` is set). */
  | 'CREDENTIAL_REVOKED'
  /** A credential was rotated: `credential` is the new one, its `replaces` the old one (revoked after the grace period). */
  | 'CREDENTIAL_ROTATED'
  /** A portal admin’s bulk plan migration moved the credential to another plan (`credential` is set; its `plan` is the new one): same credential, secret and quota counters, new limits. */
  | 'PLAN_MIGRATED'
  /** A staged rollout of a change of the credential’s plan completed: the change is applied to the plan and the key has the plan’s new limits (`credential`, `plan`, `planRolloutId`, the limits in the `effective*` fields). Sent for every ACTIVE credential on the plan. */
  | 'PLAN_ROLLOUT_COMPLETED'
  /** The credential joined the cohort of a staged rollout of a change of its plan: its key now has the change’s (candidate) limits while the rollout runs (`credential`, `plan`, `planRolloutId`, and the limits in `effectiveQuotaRequests` per `effectiveQuotaPeriodSeconds` and `effectiveRateRequests` per `effectiveRatePerSeconds`; null: unlimited). One event per credential, when it joins. */
  | 'PLAN_ROLLOUT_LIMITS_CHANGED'
  /** The staged rollout whose cohort the credential was in was rolled back: its key is back on the plan’s limits (`credential`, `plan`, `planRolloutId`, the plan’s limits in the `effective*` fields, and `reason`: the evaluation’s or the portal admin’s words). */
  | 'PLAN_ROLLOUT_ROLLED_BACK'
  /** A quota boost reached its `expiresAt`: the key is back to its plan’s limits (`quotaBoost` and `credential` are set). */
  | 'QUOTA_BOOST_EXPIRED'
  /** A temporary quota boost was granted on a credential (`quotaBoost` and `credential` are set). */
  | 'QUOTA_BOOST_GRANTED'
  /** A quota boost was ended early (`quotaBoost` and `credential` are set). */
  | 'QUOTA_BOOST_REVOKED'
  /** A portal admin rejected the request (`accessRequest` is set). */
  | 'REJECTED'
  /** A member requested access (`accessRequest` is set). */
  | 'REQUESTED'
  /** The organization is offered the next tier for an app whose usage is projected to pass its plan’s quota (`upgradeOffer` and `credential` are set). Nothing changes until it is accepted. */
  | 'UPGRADE_OFFERED';

/** What an access request asks for. */
export type AccessRequestKind =
  /** A new credential for the app, for the products under the plan. */
  | 'NEW_ACCESS'
  /** The app already has an ACTIVE credential for exactly these products under another plan: approval moves that credential to this plan (same credential and secret, new limits). */
  | 'PLAN_CHANGE';

/** How many access requests one organization may make under the plan per interval. Set it to null for unlimited. */
export type AccessRequestLimitInput = {
  /** Access requests per interval, 1–1000. */
  allowance: number;
  /** Interval in seconds after which the allowance renews, 3600–31536000. */
  renewalSeconds: number;
};

/** Lifecycle of an access request. PENDING moves once, to APPROVED, REJECTED or CANCELLED; nothing moves back. */
export type AccessRequestStatus =
  /** Approved (by a portal admin, or at once for auto-approve plans); `credential` holds the credential it granted. */
  | 'APPROVED'
  /** Withdrawn by a member of the organization before anyone decided it. */
  | 'CANCELLED'
  /** Waiting for a portal admin to approve or reject it. */
  | 'PENDING'
  /** A portal admin turned it down; `decisionReason` says why. */
  | 'REJECTED';

/** Which members of the app's organization may see and use the app. Its ORG_ADMINs and portal admins always may. */
export type AppVisibility =
  /** Every member of the organization (the default). */
  | 'ORGANIZATION'
  /** Only the member who created the app (and the ORG_ADMINs). */
  | 'PERSONAL'
  /** Only the members of the app's team (and the ORG_ADMINs); the app must belong to a team. */
  | 'TEAM';

/** Which access request to approve. */
export type ApproveAccessRequestInput = {
  /** Access request id. */
  id: string | number;
  /** Makes a retry safe (1–128 printable ASCII characters without spaces, e.g. a UUID you generate per request). Within 24 hours, the same key from the same caller (token subject) with the same input returns the first result — the same access request, as it is now — instead of a conflict or a second effect; with other input it is IDEMPOTENCY_KEY_REUSED. Keys are scoped per caller and mutation. A concurrent retry waits for the first call. A call that failed stored nothing: its retry runs again. Covered mutations: `createOrganization`, `requestOrganization`, `createTeam`, `createApp`, `requestAccess`, `approveAccessRequest`, `rejectAccessRequest`, `rotateCredential`, `createProduct`, `createCatalog`, `createPlan`, `proposePlanChange`, `approvePlanChange`, `rejectPlanChange`, `inviteMember`, `approveOrganization`, `rejectOrganization`, `registerProvider`, `grantQuotaBoost`, `acceptUpgradeOffer`, `migratePlanSubscribers`. */
  idempotencyKey?: string | null | undefined;
};

/** Which organization to approve. */
export type ApproveOrganizationInput = {
  /** Organization id. */
  id: string | number;
  /** Makes a retry safe (1–128 printable ASCII characters without spaces, e.g. a UUID you generate per request). Within 24 hours, the same key from the same caller (token subject) with the same input returns the first result — the same organization, as it is now (without a key, approving an ACTIVE organization again also changes nothing) — instead of a conflict or a second effect; with other input it is IDEMPOTENCY_KEY_REUSED. Keys are scoped per caller and mutation. A concurrent retry waits for the first call. A call that failed stored nothing: its retry runs again. Covered mutations: `createOrganization`, `requestOrganization`, `createTeam`, `createApp`, `requestAccess`, `approveAccessRequest`, `rejectAccessRequest`, `rotateCredential`, `createProduct`, `createCatalog`, `createPlan`, `proposePlanChange`, `approvePlanChange`, `rejectPlanChange`, `inviteMember`, `approveOrganization`, `rejectOrganization`, `registerProvider`, `grantQuotaBoost`, `acceptUpgradeOffer`, `migratePlanSubscribers`. */
  idempotencyKey?: string | null | undefined;
};

/** Which change request to approve. */
export type ApprovePlanChangeInput = {
  /** The PENDING change request. */
  id: string | number;
  /** Makes a retry safe (1–128 printable ASCII characters without spaces, e.g. a UUID you generate per request). Within 24 hours, the same key from the same caller (token subject) with the same input returns the first result — the same change request and plan, as they are now (a SUPERSEDED answer stores no key) — instead of a conflict or a second effect; with other input it is IDEMPOTENCY_KEY_REUSED. Keys are scoped per caller and mutation. A concurrent retry waits for the first call. A call that failed stored nothing: its retry runs again. Covered mutations: `createOrganization`, `requestOrganization`, `createTeam`, `createApp`, `requestAccess`, `approveAccessRequest`, `rejectAccessRequest`, `rotateCredential`, `createProduct`, `createCatalog`, `createPlan`, `proposePlanChange`, `approvePlanChange`, `rejectPlanChange`, `inviteMember`, `approveOrganization`, `rejectOrganization`, `registerProvider`, `grantQuotaBoost`, `acceptUpgradeOffer`, `migratePlanSubscribers`. */
  idempotencyKey?: string | null | undefined;
  /** Roll the change out in stages (only changes of nothing but quota, rateLimit and quotaScope: NOT_STAGEABLE otherwise; one running rollout per plan: PLAN_ROLLOUT_RUNNING). The request is ROLLING_OUT and the plan keeps its version until the rollout completes. Omit to apply the change now. */
  rollout?: PlanRolloutInput | null | undefined;
};

/** What an ORG_ADMIN may grant as a temporary quota boost on a credential under the plan (`grantQuotaBoost`). Set it to null so that only portal admins grant boosts. */
export type BoostAllowanceInput = {
  /** Boosts an organization may grant itself per credential within `windowSeconds`, 1–100. */
  maxBoosts: number;
  /** Longest boost in seconds, 60–2592000 (30 days). */
  maxDurationSeconds: number;
  /** Extra quota a boost may add, in percent of the plan’s quota, 0–1000. */
  maxExtraQuotaPercent: number;
  /** Extra rate a boost may add, in percent of the plan’s rate limit, 0–1000 (at least one of the two above 0). */
  maxExtraRatePercent: number;
  /** The window `maxBoosts` counts in, 3600–31536000 seconds. */
  windowSeconds: number;
};

/** A new app of an organization. */
export type CreateAppInput = {
  /** What the app does, at most 2000 characters. */
  description?: string | null | undefined;
  /** Makes a retry safe (1–128 printable ASCII characters without spaces, e.g. a UUID you generate per request). Within 24 hours, the same key from the same caller (token subject) with the same input returns the first result — the same app, as it is now — instead of a conflict or a second effect; with other input it is IDEMPOTENCY_KEY_REUSED. Keys are scoped per caller and mutation. A concurrent retry waits for the first call. A call that failed stored nothing: its retry runs again. Covered mutations: `createOrganization`, `requestOrganization`, `createTeam`, `createApp`, `requestAccess`, `approveAccessRequest`, `rejectAccessRequest`, `rotateCredential`, `createProduct`, `createCatalog`, `createPlan`, `proposePlanChange`, `approvePlanChange`, `rejectPlanChange`, `inviteMember`, `approveOrganization`, `rejectOrganization`, `registerProvider`, `grantQuotaBoost`, `acceptUpgradeOffer`, `migratePlanSubscribers`. */
  idempotencyKey?: string | null | undefined;
  /** Name, 1–120 characters, unique (case-insensitively) within the organization. */
  name: string;
  /** Organization that owns the app (must be ACTIVE). */
  organizationId: string | number;
  /** OAuth redirect URIs: absolute `https` URLs (or `http` for localhost / 127.0.0.1), without fragments; at most 10. */
  redirectUris?: Array<string> | null | undefined;
  /** Team of that organization the app belongs to; omit for none. */
  teamId?: string | number | null | undefined;
  /** Which members may see and use the app (default ORGANIZATION). TEAM needs `teamId` (else VISIBILITY_NEEDS_TEAM on `input.teamId`). */
  visibility?: AppVisibility | null | undefined;
};

/** What an approved access request under a plan receives. */
export type CredentialKind =
  /** An API key (`pgk_…`, see docs/CREDENTIALS.md), enforced by a Tyk key with the plan’s policies. */
  | 'API_KEY'
  /** OAuth2 client credentials (client id and secret) registered for the app at the identity provider of the plan’s provider (RFC 7591), with the plan’s `jwtScopes`; the app gets JWT access tokens with the client-credentials grant and Tyk applies the plan that matches their scope. */
  | 'OAUTH_CLIENT';

/** Whether a credential works. */
export type CredentialStatus =
  /** Works (a rotated-out credential works until its `revokesAt`). */
  | 'ACTIVE'
  /** Its `expiresAt` has passed (the plan’s key lifetime); it no longer works. */
  | 'EXPIRED'
  /** Revoked by a member or a portal admin, or at the end of its rotation grace period; it no longer works. */
  | 'REVOKED';

/** A path pattern and the HTTP methods allowed on it. */
export type EndpointAccessInput = {
  /** At least one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (case-insensitive). */
  methods: Array<string>;
  /** Path pattern, 1–255 characters starting with `/` or `^/`, matched by Tyk as a Go RE2 regular expression against the request path (`{name}` = one segment, `/*` = anything below), e.g. `/weather/premium/{id}`. */
  path: string;
};

/** Restricts what credentials under the plan may call on one product (premium endpoints). Give paths and/or GraphQL types; a rule must restrict something. */
export type EndpointRuleInput = {
  /** Only these paths may be called (at most 50); null or empty = every path. */
  allow?: Array<EndpointAccessInput> | null | undefined;
  /** GraphQL APIs: only these fields may be queried (at most 50 types). */
  allowedTypes?: Array<GraphqlTypeFieldsInput> | null | undefined;
  /** The product (one rule per product). */
  productId: string | number;
  /** GraphQL APIs: these fields may not be queried (at most 50 types). Not together with allowedTypes. */
  restrictedTypes?: Array<GraphqlTypeFieldsInput> | null | undefined;
};

/** A GraphQL type and some of its fields. */
export type GraphqlTypeFieldsInput = {
  /** 1–100 field names of the type. */
  fields: Array<string>;
  /** The type name (a GraphQL name, at most 128 characters). */
  name: string;
};

/** Who to invite into which organization, with which role. */
export type InviteMemberInput = {
  /** Email address of the invitee; whoever signs in with it may accept (matched case-insensitively). */
  email: string;
  /** Makes a retry safe (1–128 printable ASCII characters without spaces, e.g. a UUID you generate per request). Within 24 hours, the same key from the same caller (token subject) with the same input returns the first result — the same invitation, as it is now (an invitation carries no token: the invitee accepts it by signing in with the email address; the address is compared case-insensitively) — instead of a conflict or a second effect; with other input it is IDEMPOTENCY_KEY_REUSED. Keys are scoped per caller and mutation. A concurrent retry waits for the first call. A call that failed stored nothing: its retry runs again. Covered mutations: `createOrganization`, `requestOrganization`, `createTeam`, `createApp`, `requestAccess`, `approveAccessRequest`, `rejectAccessRequest`, `rotateCredential`, `createProduct`, `createCatalog`, `createPlan`, `proposePlanChange`, `approvePlanChange`, `rejectPlanChange`, `inviteMember`, `approveOrganization`, `rejectOrganization`, `registerProvider`, `grantQuotaBoost`, `acceptUpgradeOffer`, `migratePlanSubscribers`. */
  idempotencyKey?: string | null | undefined;
  /** Organization to invite into (must be ACTIVE). */
  organizationId: string | number;
  /** Role the invitee gets on accepting. */
  role: OrganizationRole;
};

/** A key/value pair to store. */
export type KeyValueInput = {
  /** The key (letters, digits, `_`, `.` and `-`). */
  key: string;
  /** The value. */
  value: string;
};

/** What a member may do in an organization. Kept in the database, never taken from the token. */
export type OrganizationRole =
  /** Works with the apps and credentials of the organization. */
  | 'MEMBER'
  /** Manages the organization: its members, teams, apps and access requests. */
  | 'ORG_ADMIN';

/** Lifecycle of an organization: only ACTIVE organizations may create apps and request access. */
export type OrganizationStatus =
  /** Approved; its members may work with apps and credentials. */
  | 'ACTIVE'
  /** Requested by a developer; waiting for a portal admin to approve it. */
  | 'PENDING'
  /** A portal admin turned the request down. */
  | 'REJECTED'
  /** Blocked by a portal admin; its credentials stop working. */
  | 'SUSPENDED';

/** Limits to preview for a plan. A field left out keeps the plan’s current value; `quota: null` or `rateLimit: null` means unlimited. */
export type PlanChangeImpactInput = {
  /** How many days of traffic to replay, ending now: 1–90 (default 30). */
  days?: number | null | undefined;
  /** The plan whose recorded traffic is replayed. */
  planId: string | number;
  /** The quota to try; null = unlimited; left out = the plan’s current quota. */
  quota?: PlanImpactQuotaInput | null | undefined;
  /** Who shares the counters; left out = the plan’s current quota scope. */
  quotaScope?: QuotaScope | null | undefined;
  /** The rate limit to try; null = unlimited; left out = the plan’s current rate limit. */
  rateLimit?: PlanImpactRateLimitInput | null | undefined;
};

/** Where a proposed plan change stands. Only PENDING requests can be approved or rejected. */
export type PlanChangeRequestStatus =
  /** Approved and applied as a new plan version (`appliedVersion`). */
  | 'APPROVED'
  /** Waiting for another portal admin to approve or reject it. */
  | 'PENDING'
  /** Rejected by another portal admin (`decisionReason` says why); nothing changed. */
  | 'REJECTED'
  /** Approved with a staged rollout that was rolled back (`decisionReason` says why); the plan did not change. */
  | 'ROLLED_BACK'
  /** Approved with a staged rollout (`rollout`): a growing share of the plan’s credentials has the new limits; the plan changes (APPROVED) once every stage was healthy. */
  | 'ROLLING_OUT'
  /** The plan changed (or was deleted) after the proposal, so it can no longer be applied: propose it again. */
  | 'SUPERSEDED';

/** The changes a proposal makes: the same fields as `UpdatePlanInput` (only the fields given change; for nullable settings an explicit null means unset/unlimited), plus an optional status. */
export type PlanChangesInput = {
  /** Access requests one organization may make under the plan per interval; null = unlimited. */
  accessRequestLimit?: AccessRequestLimitInput | null | undefined;
  /** Approve access requests under the plan at once. */
  autoApprove?: boolean | null | undefined;
  /** What ORG_ADMINs may grant themselves as temporary quota boosts; null = only portal admins grant boosts. */
  boostAllowance?: BoostAllowanceInput | null | undefined;
  /** Ids of the catalogs the plan is offered in (at most 100); a plan is visible only through them, and publishing needs at least one. Replaces the whole list; a PUBLISHED plan keeps at least one. */
  catalogIds?: Array<string | number> | null | undefined;
  /** What approved access receives: API_KEY (default) or OAUTH_CLIENT (OAuth2 client credentials at the provider’s identity provider, with the plan’s `jwtScopes`; a plan with OAUTH_CLIENT needs at least one scope). Credentials issued before a change keep their kind. */
  credentialKind?: CredentialKind | null | undefined;
  /** Metadata attached to every credential issued under the plan: at most 20 entries, keys 1–64 characters of letters, digits, `_`, `.` and `-`, unique ignoring case, values at most 512 characters. Keys that look like secrets (password, token, …) and keys the platform sets (DeveloperID, ApplicationID, OrganisationID, TeamIDs, rate_limit_pattern, quota_pattern) are refused. Replaces the whole list. */
  credentialMetadata?: Array<KeyValueInput> | null | undefined;
  /** Markdown description, at most 20,000 characters (null = empty). */
  description?: string | null | undefined;
  /** New display name, 1–120 characters. */
  displayName?: string | null | undefined;
  /** Premium endpoints: per product, the paths/methods and GraphQL fields credentials under the plan may call (at most 20 rules, one per product); products without a rule are not restricted. Products must exist. Replaces the whole list ([] = no restriction). */
  endpointRules?: Array<EndpointRuleInput> | null | undefined;
  /** JWT scopes mapped to the plan. Each entry may hold several scopes separated by spaces or commas (`["read write", "admin,billing"]` → 4 scopes); duplicates are dropped, order kept. At most 50 scopes of 1–128 printable ASCII characters without `"` and `\`. Replaces the whole list. */
  jwtScopes?: Array<string> | null | undefined;
  /** Credentials expire this many seconds after they are issued (60–157680000, i.e. up to 5 years); null = never. */
  keyExpiresAfterSeconds?: number | null | undefined;
  /** New unique internal name. */
  name?: string | null | undefined;
  /** Usage quota; null = unlimited. */
  quota?: UsageQuotaInput | null | undefined;
  /** Who shares the quota and rate-limit counters. */
  quotaScope?: QuotaScope | null | undefined;
  /** Rate limit; null = unlimited. */
  rateLimit?: RateLimitInput | null | undefined;
  /** PUBLISHED publishes (or re-publishes an ARCHIVED plan; needs a catalog), ARCHIVED archives; DRAFT is refused. Left out: the status stays. */
  status?: PlanStatus | null | undefined;
  /** Rank for ordering and upgrade paths, 0–1000. */
  tier?: number | null | undefined;
  /** Free trial length in days, 1–365; null = no trial. */
  trialDays?: number | null | undefined;
};

/** A quota to replay past traffic against: requests per period. */
export type PlanImpactQuotaInput = {
  /** Length of a quota window in seconds, 1–31,622,400 (a day is 86400). */
  periodSeconds: number;
  /** Requests allowed per period, 1–1,000,000,000. */
  requests: number;
};

/** A rate limit to replay past traffic against: requests per sliding window of seconds. */
export type PlanImpactRateLimitInput = {
  /** Length of the sliding window in seconds, 1–86,400. */
  perSeconds: number;
  /** Requests allowed per window, 1–1,000,000,000. */
  requests: number;
};

/** Roll a change of limits out in stages instead of applying it at once: each stage gives the new limits to a larger, deterministic share of the plan’s credentials (by a hash of the rollout and credential ids), then, after `stageDurationSeconds`, compares them with the rest (5xx share and average latency, from usage) and widens, holds or rolls back. */
export type PlanRolloutInput = {
  /** Roll back when the cohort’s 5xx share exceeds the rest’s by more than this many percentage points (0–100, default 2). */
  maxErrorRateDeltaPercent?: number | null | undefined;
  /** Roll back when the cohort’s average latency exceeds this percentage of the rest’s (100–10000, default 150). */
  maxLatencyRatioPercent?: number | null | undefined;
  /** Requests each side needs in a stage’s window before they are compared (1–1000000, default 100); with fewer the stage is held, and widened after 3 holds. */
  minRequests?: number | null | undefined;
  /** How long each stage is observed before it is judged: 60–604800 seconds. */
  stageDurationSeconds: number;
  /** Cumulative percentages of the plan’s credentials, increasing, the last 100 (1–10 stages), e.g. [10, 50, 100]. When the stage before 100 is healthy the change is applied to the plan. */
  stages: Array<number>;
};

/** Lifecycle of a plan. Only PUBLISHED plans are shown to developers (through the catalogs the plan is in). State machine: DRAFT → PUBLISHED (`publishPlan`, needs at least one catalog); DRAFT → ARCHIVED and PUBLISHED → ARCHIVED (`archivePlan`); ARCHIVED → PUBLISHED (`publishPlan`, re-publishing). Publishing a PUBLISHED plan or archiving an ARCHIVED one is refused with INVALID_TRANSITION, and so is changing the settings of an ARCHIVED plan (`updatePlan`, `rollbackPlan`): re-publish it first. Only plans that were never published may be deleted (`deletePlan`); the others are archived instead (ARCHIVE_INSTEAD). */
export type PlanStatus =
  /** No longer offered; visible to portal admins only, settings frozen. Existing access keeps working until revoked. May be re-published. */
  | 'ARCHIVED'
  /** Being prepared; visible to portal admins only. May be edited, published, archived or deleted. */
  | 'DRAFT'
  /** Offered to developers in the plan’s catalogs; access can be requested. May be edited or archived. */
  | 'PUBLISHED';

/** Lifecycle of a product: only PUBLISHED products are shown to developers. */
export type ProductStatus =
  /** No longer offered and no longer editable; existing access keeps working until revoked. */
  | 'ARCHIVED'
  /** Being prepared; visible to portal admins only. */
  | 'DRAFT'
  /** Offered in the catalogs it belongs to; needs at least one Tyk API id. */
  | 'PUBLISHED';

/** A change of a plan for a second portal admin to approve. */
export type ProposePlanChangeInput = {
  /** What to change. */
  changes: PlanChangesInput;
  /** The version you edited; when given and the plan has moved on, nothing is proposed (VERSION_CONFLICT). */
  expectedVersion?: number | null | undefined;
  /** The plan to change. */
  id: string | number;
  /** Makes a retry safe (1–128 printable ASCII characters without spaces, e.g. a UUID you generate per request). Within 24 hours, the same key from the same caller (token subject) with the same input returns the first result — the same change request, as it is now (a setting sent as null, which unsets it, differs from one left out) — instead of a conflict or a second effect; with other input it is IDEMPOTENCY_KEY_REUSED. Keys are scoped per caller and mutation. A concurrent retry waits for the first call. A call that failed stored nothing: its retry runs again. Covered mutations: `createOrganization`, `requestOrganization`, `createTeam`, `createApp`, `requestAccess`, `approveAccessRequest`, `rejectAccessRequest`, `rotateCredential`, `createProduct`, `createCatalog`, `createPlan`, `proposePlanChange`, `approvePlanChange`, `rejectPlanChange`, `inviteMember`, `approveOrganization`, `rejectOrganization`, `registerProvider`, `grantQuotaBoost`, `acceptUpgradeOffer`, `migratePlanSubscribers`. */
  idempotencyKey?: string | null | undefined;
  /** Why, for the approver: 1–1000 characters. */
  reason: string;
};

/** How the latest call from the portal to a provider went. */
export type ProviderHealthStatus =
  /** The latest call failed; see `lastError`. */
  | 'FAILING'
  /** The latest call succeeded. */
  | 'HEALTHY'
  /** The portal has not called this provider yet. */
  | 'UNKNOWN';

/** Which Tyk API the portal talks to for this provider. */
export type ProviderKind =
  /** Tyk Dashboard API under `/api/`, authenticated with a Dashboard user API credential in the `authorization` header. */
  | 'TYK_DASHBOARD'
  /** Tyk Gateway (open source) management API under `/tyk/`, authenticated with the gateway secret in the `x-tyk-authorization` header. */
  | 'TYK_GATEWAY';

/** How long a usage quota lasts before it renews. */
export type QuotaPeriod =
  /** A custom number of seconds (`periodSeconds`, 60–31536000). */
  | 'CUSTOM'
  /** One day (86400 seconds). */
  | 'DAY'
  /** One hour (3600 seconds). */
  | 'HOUR'
  /** One month as Tyk counts it: 30 days (2592000 seconds). */
  | 'MONTH'
  /** One week (604800 seconds). */
  | 'WEEK';

/** Who shares one quota and rate-limit counter. Tyk counts per key by default; for APP and ORGANIZATION the provider sync sets the key’s `rate_limit_pattern` (quota pattern) metadata (Tyk 5.3+) to the app or organization id, which makes Tyk key its rate-limit and quota counters on that value, so every credential of the app or organization draws from the same allowance. */
export type QuotaScope =
  /** All credentials of one app share one counter. */
  | 'APP'
  /** Each credential (Tyk key) has its own counter. The default, and Tyk’s own behavior. */
  | 'CREDENTIAL'
  /** All credentials of one organization (all its apps) share one counter under this plan. */
  | 'ORGANIZATION';

/** What a quota warning announces. */
export type QuotaWarningKind =
  /** Usage reached the limit; Tyk rejects further requests until the window resets. */
  | 'HARD'
  /** At the current burn rate usage will cross the threshold before the window resets. */
  | 'PROJECTED'
  /** Usage crossed an alert threshold below the limit; requests still pass. */
  | 'SOFT';

/** A rate limit: how many requests per window of seconds. Set the whole rate limit to null for unlimited. */
export type RateLimitInput = {
  /** Length of the window in seconds, 1–86400. */
  perSeconds: number;
  /** Requests allowed per window, 1–1,000,000. */
  requests: number;
};

/** Which access request to reject, and why. */
export type RejectAccessRequestInput = {
  /** Access request id. */
  id: string | number;
  /** Makes a retry safe (1–128 printable ASCII characters without spaces, e.g. a UUID you generate per request). Within 24 hours, the same key from the same caller (token subject) with the same input returns the first result — the same access request, as it is now (the reason compared after trimming) — instead of a conflict or a second effect; with other input it is IDEMPOTENCY_KEY_REUSED. Keys are scoped per caller and mutation. A concurrent retry waits for the first call. A call that failed stored nothing: its retry runs again. Covered mutations: `createOrganization`, `requestOrganization`, `createTeam`, `createApp`, `requestAccess`, `approveAccessRequest`, `rejectAccessRequest`, `rotateCredential`, `createProduct`, `createCatalog`, `createPlan`, `proposePlanChange`, `approvePlanChange`, `rejectPlanChange`, `inviteMember`, `approveOrganization`, `rejectOrganization`, `registerProvider`, `grantQuotaBoost`, `acceptUpgradeOffer`, `migratePlanSubscribers`. */
  idempotencyKey?: string | null | undefined;
  /** Why it is turned down, 1–1000 characters; shown to the organization's members. */
  reason: string;
};

/** Which change request to reject, and why. */
export type RejectPlanChangeInput = {
  /** The PENDING change request. */
  id: string | number;
  /** Makes a retry safe (1–128 printable ASCII characters without spaces, e.g. a UUID you generate per request). Within 24 hours, the same key from the same caller (token subject) with the same input returns the first result — the same change request, as it is now (the reason compared after trimming) — instead of a conflict or a second effect; with other input it is IDEMPOTENCY_KEY_REUSED. Keys are scoped per caller and mutation. A concurrent retry waits for the first call. A call that failed stored nothing: its retry runs again. Covered mutations: `createOrganization`, `requestOrganization`, `createTeam`, `createApp`, `requestAccess`, `approveAccessRequest`, `rejectAccessRequest`, `rotateCredential`, `createProduct`, `createCatalog`, `createPlan`, `proposePlanChange`, `approvePlanChange`, `rejectPlanChange`, `inviteMember`, `approveOrganization`, `rejectOrganization`, `registerProvider`, `grantQuotaBoost`, `acceptUpgradeOffer`, `migratePlanSubscribers`. */
  idempotencyKey?: string | null | undefined;
  /** Why it is rejected, for the proposer: 1–1000 characters. */
  reason: string;
};

/** Access for an app to one or more products under one plan. */
export type RequestAccessInput = {
  /** The app that is to use the products (of an ACTIVE organization you belong to). */
  appId: string | number;
  /** Makes a retry safe (1–128 printable ASCII characters without spaces, e.g. a UUID you generate per request). Within 24 hours, the same key from the same caller (token subject) with the same input returns the first result — the same access request and credential, `secret` null (the same app, plan and products in any order and case are the same input) — instead of a conflict or a second effect; with other input it is IDEMPOTENCY_KEY_REUSED. Keys are scoped per caller and mutation. A concurrent retry waits for the first call. A call that failed stored nothing: its retry runs again. Covered mutations: `createOrganization`, `requestOrganization`, `createTeam`, `createApp`, `requestAccess`, `approveAccessRequest`, `rejectAccessRequest`, `rotateCredential`, `createProduct`, `createCatalog`, `createPlan`, `proposePlanChange`, `approvePlanChange`, `rejectPlanChange`, `inviteMember`, `approveOrganization`, `rejectOrganization`, `registerProvider`, `grantQuotaBoost`, `acceptUpgradeOffer`, `migratePlanSubscribers`. */
  idempotencyKey?: string | null | undefined;
  /** The plan: PUBLISHED and offered in a catalog your organization may see. */
  planId: string | number;
  /** The products (1–50; duplicates count once): PUBLISHED and in a catalog your organization may see that also offers the plan. */
  productIds: Array<string | number>;
};

/** An organization a developer asks for; a portal admin approves or rejects it. */
export type RequestOrganizationInput = {
  /** Makes a retry safe (1–128 printable ASCII characters without spaces, e.g. a UUID you generate per request). Within 24 hours, the same key from the same caller (token subject) with the same input returns the first result — the same organization, as it is now — instead of a conflict or a second effect; with other input it is IDEMPOTENCY_KEY_REUSED. Keys are scoped per caller and mutation. A concurrent retry waits for the first call. A call that failed stored nothing: its retry runs again. Covered mutations: `createOrganization`, `requestOrganization`, `createTeam`, `createApp`, `requestAccess`, `approveAccessRequest`, `rejectAccessRequest`, `rotateCredential`, `createProduct`, `createCatalog`, `createPlan`, `proposePlanChange`, `approvePlanChange`, `rejectPlanChange`, `inviteMember`, `approveOrganization`, `rejectOrganization`, `registerProvider`, `grantQuotaBoost`, `acceptUpgradeOffer`, `migratePlanSubscribers`. */
  idempotencyKey?: string | null | undefined;
  /** Display name, 1–120 characters. */
  name: string;
  /** Unique URL-safe slug: lowercase letters, digits and single hyphens, at most 64 characters (`acme-corp`). */
  slug: string;
};

/** Which credential’s secret to show (once). */
export type RevealCredentialSecretInput = {
  /** Credential id. */
  id: string | number;
};

/** Whether the provider (Tyk) enforces the current state of a plan, product or credential. */
export type SyncStatus =
  /** The last attempt failed (see `lastError`); it is retried with back-off (`nextAttemptAt`), nothing is lost; `stuck` once retries run out or it waits too long. */
  | 'FAILED'
  /** The policy or key no longer exists in the provider although the portal expects it (deleted or untagged in Tyk). */
  | 'MISSING'
  /** A change is not in the provider yet (before the first attempt, while a queued change waits for its turn, or while no provider is registered); see `pendingSince`. */
  | 'PENDING'
  /** The provider holds the current state (for archived or deleted things: their policy or key is gone, or kept for live keys). */
  | 'SYNCED';

/** Changes to a plan. Only the fields given change; for nullable settings an explicit null means unset/unlimited. Archived plans cannot be changed. */
export type UpdatePlanInput = {
  /** Access requests one organization may make under the plan per interval; null = unlimited. */
  accessRequestLimit?: AccessRequestLimitInput | null | undefined;
  /** Approve access requests under the plan at once. */
  autoApprove?: boolean | null | undefined;
  /** What ORG_ADMINs may grant themselves as temporary quota boosts; null = only portal admins grant boosts. */
  boostAllowance?: BoostAllowanceInput | null | undefined;
  /** Ids of the catalogs the plan is offered in (at most 100); a plan is visible only through them, and publishing needs at least one. Replaces the whole list; a PUBLISHED plan keeps at least one. */
  catalogIds?: Array<string | number> | null | undefined;
  /** What approved access receives: API_KEY (default) or OAUTH_CLIENT (OAuth2 client credentials at the provider’s identity provider, with the plan’s `jwtScopes`; a plan with OAUTH_CLIENT needs at least one scope). Credentials issued before a change keep their kind. */
  credentialKind?: CredentialKind | null | undefined;
  /** Metadata attached to every credential issued under the plan: at most 20 entries, keys 1–64 characters of letters, digits, `_`, `.` and `-`, unique ignoring case, values at most 512 characters. Keys that look like secrets (password, token, …) and keys the platform sets (DeveloperID, ApplicationID, OrganisationID, TeamIDs, rate_limit_pattern, quota_pattern) are refused. Replaces the whole list. */
  credentialMetadata?: Array<KeyValueInput> | null | undefined;
  /** Markdown description, at most 20,000 characters (null = empty). */
  description?: string | null | undefined;
  /** New display name, 1–120 characters. */
  displayName?: string | null | undefined;
  /** Premium endpoints: per product, the paths/methods and GraphQL fields credentials under the plan may call (at most 20 rules, one per product); products without a rule are not restricted. Products must exist. Replaces the whole list ([] = no restriction). */
  endpointRules?: Array<EndpointRuleInput> | null | undefined;
  /** The version you edited; when given and the plan has moved on, nothing changes (VERSION_CONFLICT). */
  expectedVersion?: number | null | undefined;
  /** The plan to change. */
  id: string | number;
  /** JWT scopes mapped to the plan. Each entry may hold several scopes separated by spaces or commas (`["read write", "admin,billing"]` → 4 scopes); duplicates are dropped, order kept. At most 50 scopes of 1–128 printable ASCII characters without `"` and `\`. Replaces the whole list. */
  jwtScopes?: Array<string> | null | undefined;
  /** Stable key (1–64 lowercase letters and digits, in groups joined by single `-`, `_` or `.`), unique among plans; null or left out keeps the current one (a key cannot be removed, only changed). A label, not a setting: changing it records no version and needs no approval. */
  key?: string | null | undefined;
  /** Credentials expire this many seconds after they are issued (60–157680000, i.e. up to 5 years); null = never. */
  keyExpiresAfterSeconds?: number | null | undefined;
  /** Name of the tool that owns the object (1–64 lowercase letters and digits, in groups joined by single `-`, `_` or `.`); an empty string clears it (the object becomes hand-made), null or left out keeps it. A label, not a setting: changing it records no version and needs no approval. */
  managedBy?: string | null | undefined;
  /** New unique internal name. */
  name?: string | null | undefined;
  /** Usage quota; null = unlimited. */
  quota?: UsageQuotaInput | null | undefined;
  /** Who shares the quota and rate-limit counters. */
  quotaScope?: QuotaScope | null | undefined;
  /** Rate limit; null = unlimited. */
  rateLimit?: RateLimitInput | null | undefined;
  /** Rank for ordering and upgrade paths, 0–1000. */
  tier?: number | null | undefined;
  /** Free trial length in days, 1–365; null = no trial. */
  trialDays?: number | null | undefined;
};

/** Width of the buckets of a usage series (UTC-aligned). */
export type UsageGranularity =
  /** One point per UTC day; at most 1,500 points per series. */
  | 'DAY'
  /** One point per hour; at most 1,500 points per series (62 days). */
  | 'HOUR'
  /** One point per minute; at most 1,500 points per series (25 hours). */
  | 'MINUTE';

/** A usage quota: how many requests per period. Set the whole quota to null for unlimited. */
export type UsageQuotaInput = {
  /** The period: HOUR, DAY, WEEK, MONTH (30 days) or CUSTOM. */
  period: QuotaPeriod;
  /** Length of a CUSTOM period in seconds (60–31536000). Required for CUSTOM, refused for the named periods. */
  periodSeconds?: number | null | undefined;
  /** Requests allowed per period, 1–1,000,000,000. */
  requests: number;
};

export type PortalCredentialQuotaQueryVariables = Exact<{
  id: string | number;
}>;


export type PortalCredentialQuotaQuery = { credential: { id: string, quota: { scope: QuotaScope, limit: number | null, used: number, remaining: number | null, percentUsed: number | null, periodSeconds: number | null, windowStart: string | null, resetsAt: string | null, burnRatePerHour: number, projectedExhaustionAt: string | null } | null } | null };

export type PortalQuotaStatusFragment = { scope: QuotaScope, limit: number | null, used: number, remaining: number | null, percentUsed: number | null, periodSeconds: number | null, windowStart: string | null, resetsAt: string | null, burnRatePerHour: number, projectedExhaustionAt: string | null };

export type PortalQuotaStatusSubscriptionVariables = Exact<{
  credentialId: string | number;
}>;


export type PortalQuotaStatusSubscription = { quotaStatusChanged: { scope: QuotaScope, limit: number | null, used: number, remaining: number | null, percentUsed: number | null, periodSeconds: number | null, windowStart: string | null, resetsAt: string | null, burnRatePerHour: number, projectedExhaustionAt: string | null } };

export type PortalQuotaWarningsSubscriptionVariables = Exact<{
  organizationId: string | number;
  appId?: string | number | null | undefined;
  after?: string | null | undefined;
}>;


export type PortalQuotaWarningsSubscription = { quotaWarnings: { id: string, cursor: string | null, kind: QuotaWarningKind, thresholdPercent: number, used: number, limit: number, resetsAt: string, credentialId: string | null, appId: string | null, createdAt: string } };

export type PortalCredentialUsageQueryVariables = Exact<{
  id: string | number;
  from: string;
  to: string;
  granularity: UsageGranularity;
}>;


export type PortalCredentialUsageQuery = { credential: { id: string, usage: { granularity: UsageGranularity, spike: boolean, points: Array<{ at: string, requests: number, rateLimited: number, quotaExceeded: number, errors4xx: number, errors5xx: number }>, totals: { requests: number, rejectionRate: number } } | null } | null };

export type PortalAppQueryVariables = Exact<{
  id: string | number;
}>;


export type PortalAppQuery = { app: { id: string, name: string, description: string, organization: { id: string, name: string }, credentials: { edges: Array<{ node: { id: string, prefix: string, status: CredentialStatus, secretRevealed: boolean, expiresAt: string | null, createdAt: string, plan: { id: string, displayName: string }, products: Array<{ id: string, displayName: string }> } }> }, accessRequests: { edges: Array<{ node: { id: string, status: AccessRequestStatus, kind: AccessRequestKind, createdAt: string, decisionReason: string | null, plan: { id: string, displayName: string }, products: Array<{ id: string, displayName: string }> } }> } } | null };

export type PortalRevealSecretMutationVariables = Exact<{
  input: RevealCredentialSecretInput;
}>;


export type PortalRevealSecretMutation = { revealCredentialSecret: { secret: string | null, credential: { id: string, prefix: string, secretRevealed: boolean } | null, errors: Array<{ code: string, field: string | null, message: string }> } };

export type PortalMyAppsQueryVariables = Exact<{ [key: string]: never; }>;


export type PortalMyAppsQuery = { viewer: { id: string, memberships: Array<{ role: OrganizationRole, organization: { id: string, name: string, status: OrganizationStatus, apps: { edges: Array<{ node: { id: string, name: string, description: string, visibility: AppVisibility, credentials: { totalCount: number } } }> } | null } }> } | null };

export type PortalCreateAppMutationVariables = Exact<{
  input: CreateAppInput;
}>;


export type PortalCreateAppMutation = { createApp: { app: { id: string, name: string } | null, errors: Array<{ code: string, field: string | null, message: string }> } };

export type PortalCatalogueQueryVariables = Exact<{
  first: number;
}>;


export type PortalCatalogueQuery = { products: { totalCount: number, edges: Array<{ node: { id: string, slug: string, displayName: string, description: string, tags: Array<string>, availablePlans: Array<{ id: string, displayName: string, tier: number, quota: { unlimited: boolean, requests: number | null, period: QuotaPeriod | null } }> } }> } };

export type PortalCredentialQueryVariables = Exact<{
  id: string | number;
}>;


export type PortalCredentialQuery = { credential: { id: string, prefix: string, status: CredentialStatus, expiresAt: string | null, createdAt: string, app: { id: string, name: string }, organization: { id: string, name: string }, plan: { id: string, displayName: string }, products: Array<{ id: string, displayName: string }>, sync: { status: SyncStatus } } | null };

export type PortalEntitlementsQueryVariables = Exact<{ [key: string]: never; }>;


export type PortalEntitlementsQuery = { viewer: { id: string, entitlements: Array<{ status: CredentialStatus, expiresAt: string | null, app: { id: string, name: string }, credential: { id: string, prefix: string }, plan: { id: string, displayName: string, quota: { unlimited: boolean, requests: number | null, period: QuotaPeriod | null }, rateLimit: { unlimited: boolean, requests: number | null, perSeconds: number | null } }, products: Array<{ id: string, displayName: string }> }> } | null };

export type PortalMyOrganizationsQueryVariables = Exact<{ [key: string]: never; }>;


export type PortalMyOrganizationsQuery = { viewer: { id: string, subject: string, memberships: Array<{ role: OrganizationRole, since: string, organization: { id: string, name: string, slug: string, status: OrganizationStatus, members: Array<{ id: string, subject: string, role: OrganizationRole }> | null } }>, pendingInvitations: Array<{ id: string, role: OrganizationRole, expiresAt: string, organization: { id: string, name: string } }> } | null };

export type PortalRequestOrganizationMutationVariables = Exact<{
  input: RequestOrganizationInput;
}>;


export type PortalRequestOrganizationMutation = { requestOrganization: { organization: { id: string, name: string, status: OrganizationStatus } | null, errors: Array<{ code: string, field: string | null, message: string }> } };

export type PortalAcceptInvitationMutationVariables = Exact<{
  input: AcceptInvitationInput;
}>;


export type PortalAcceptInvitationMutation = { acceptInvitation: { errors: Array<{ code: string, field: string | null, message: string }> } };

export type PortalInviteMemberMutationVariables = Exact<{
  input: InviteMemberInput;
}>;


export type PortalInviteMemberMutation = { inviteMember: { invitation: { id: string, email: string, role: OrganizationRole, expiresAt: string } | null, errors: Array<{ code: string, field: string | null, message: string }> } };

export type PortalProductPlansQueryVariables = Exact<{
  slug: string;
}>;


export type PortalProductPlansQuery = { product: { id: string, slug: string, displayName: string, descriptionHtml: string, availablePlans: Array<{ id: string, displayName: string, description: string, tier: number, trialDays: number | null, autoApprove: boolean, keyExpiresAfterSeconds: number | null, jwtScopes: Array<string>, quotaScope: QuotaScope, quota: { unlimited: boolean, requests: number | null, period: QuotaPeriod | null, periodSeconds: number | null }, rateLimit: { unlimited: boolean, requests: number | null, perSeconds: number | null }, endpointRules: Array<{ productId: string, allow: Array<{ path: string, methods: Array<string> }>, allowedTypes: Array<{ name: string, fields: Array<string> }> }> }> } | null };

export type PortalRequestContextQueryVariables = Exact<{
  planId: string | number;
  productId: string | number;
}>;


export type PortalRequestContextQuery = { plan: { id: string, displayName: string, autoApprove: boolean, quota: { unlimited: boolean, requests: number | null, period: QuotaPeriod | null } } | null, product: { id: string, displayName: string } | null, viewer: { id: string, memberships: Array<{ organization: { id: string, name: string, status: OrganizationStatus, apps: { edges: Array<{ node: { id: string, name: string } }> } | null } }> } | null };

export type PortalRequestAccessMutationVariables = Exact<{
  input: RequestAccessInput;
}>;


export type PortalRequestAccessMutation = { requestAccess: { secret: string | null, accessRequest: { id: string, status: AccessRequestStatus } | null, credential: { id: string, prefix: string } | null, errors: Array<{ code: string, field: string | null, message: string, retryAfter: number | null }> } };

export type PortalPendingApprovalsQueryVariables = Exact<{ [key: string]: never; }>;


export type PortalPendingApprovalsQuery = { accessRequests: { totalCount: number, edges: Array<{ node: { id: string, kind: AccessRequestKind, createdAt: string, organization: { id: string, name: string }, app: { id: string, name: string }, plan: { id: string, displayName: string }, products: Array<{ id: string, displayName: string }>, requestedBy: { id: string, subject: string } | null } }> }, organizations: { edges: Array<{ node: { id: string, name: string, slug: string, createdBy: string | null, createdAt: string } }> } };

export type PortalAccessRequestEventsSubscriptionVariables = Exact<{
  after?: string | null | undefined;
}>;


export type PortalAccessRequestEventsSubscription = { accessRequestEvents: { id: string, cursor: string, type: AccessRequestEventType, occurredAt: string, accessRequest: { id: string, status: AccessRequestStatus } | null } };

export type PortalApproveAccessMutationVariables = Exact<{
  input: ApproveAccessRequestInput;
}>;


export type PortalApproveAccessMutation = { approveAccessRequest: { accessRequest: { id: string, status: AccessRequestStatus } | null, errors: Array<{ code: string, field: string | null, message: string }> } };

export type PortalRejectAccessMutationVariables = Exact<{
  input: RejectAccessRequestInput;
}>;


export type PortalRejectAccessMutation = { rejectAccessRequest: { accessRequest: { id: string, status: AccessRequestStatus } | null, errors: Array<{ code: string, field: string | null, message: string }> } };

export type PortalApproveOrganizationMutationVariables = Exact<{
  input: ApproveOrganizationInput;
}>;


export type PortalApproveOrganizationMutation = { approveOrganization: { organization: { id: string, status: OrganizationStatus } | null, errors: Array<{ code: string, field: string | null, message: string }> } };

export type PortalPlanEditorQueryVariables = Exact<{
  id: string | number;
}>;


export type PortalPlanEditorQuery = { plan: { id: string, displayName: string, status: PlanStatus, version: number, quotaScope: QuotaScope, keyExpiresAfterSeconds: number | null, quota: { unlimited: boolean, requests: number | null, period: QuotaPeriod | null, periodSeconds: number | null }, rateLimit: { unlimited: boolean, requests: number | null, perSeconds: number | null } } | null, planChangeRequests: { edges: Array<{ node: { id: string, proposedBy: string, proposedAt: string, reason: string, baseVersion: number, changes: Array<{ field: string, before: string | null, after: string | null }>, impact: { countersAffected: number, organizationsAffected: number, requestsOverQuota: number, requestsOverRateLimit: number } | null } }> } };

export type PortalPlanImpactQueryVariables = Exact<{
  input: PlanChangeImpactInput;
}>;


export type PortalPlanImpactQuery = { planChangeImpact: { from: string, to: string, countersWithTraffic: number, countersAffected: number, organizationsAffected: number, requestsOverQuota: number, requestsOverRateLimit: number, affected: Array<{ scope: QuotaScope, requests: number, requestsOverQuota: number, requestsOverRateLimit: number, organization: { id: string, name: string }, app: { id: string, name: string } | null }> } };

export type PortalUpdatePlanMutationVariables = Exact<{
  input: UpdatePlanInput;
}>;


export type PortalUpdatePlanMutation = { updatePlan: { plan: { id: string, version: number } | null, errors: Array<{ code: string, field: string | null, message: string }> } };

export type PortalProposePlanChangeMutationVariables = Exact<{
  input: ProposePlanChangeInput;
}>;


export type PortalProposePlanChangeMutation = { proposePlanChange: { changeRequest: { id: string, status: PlanChangeRequestStatus } | null, errors: Array<{ code: string, field: string | null, message: string }> } };

export type PortalApprovePlanChangeMutationVariables = Exact<{
  input: ApprovePlanChangeInput;
}>;


export type PortalApprovePlanChangeMutation = { approvePlanChange: { changeRequest: { id: string, status: PlanChangeRequestStatus, appliedVersion: number | null } | null, errors: Array<{ code: string, field: string | null, message: string }> } };

export type PortalRejectPlanChangeMutationVariables = Exact<{
  input: RejectPlanChangeInput;
}>;


export type PortalRejectPlanChangeMutation = { rejectPlanChange: { changeRequest: { id: string, status: PlanChangeRequestStatus } | null, errors: Array<{ code: string, field: string | null, message: string }> } };

export type PortalAdminPlansQueryVariables = Exact<{ [key: string]: never; }>;


export type PortalAdminPlansQuery = { plans: { edges: Array<{ node: { id: string, displayName: string, name: string, status: PlanStatus, tier: number, version: number, quota: { unlimited: boolean, requests: number | null, period: QuotaPeriod | null }, rateLimit: { unlimited: boolean, requests: number | null, perSeconds: number | null } } }> }, planChangeRequests: { totalCount: number } };

export type PortalSyncBoardQueryVariables = Exact<{ [key: string]: never; }>;


export type PortalSyncBoardQuery = { providers: { edges: Array<{ node: { id: string, name: string, kind: ProviderKind, isDefault: boolean, health: { status: ProviderHealthStatus, lastSuccessAt: string | null, lastError: string | null } } }> }, plans: { edges: Array<{ node: { id: string, displayName: string, status: PlanStatus, sync: { status: SyncStatus, attempts: number, lastError: string | null, syncedAt: string | null, pendingSince: string | null, stuck: boolean } | null } }> }, products: { edges: Array<{ node: { id: string, displayName: string, status: ProductStatus, sync: { status: SyncStatus, attempts: number, lastError: string | null, syncedAt: string | null, pendingSince: string | null, stuck: boolean } | null } }> } };

export const PortalQuotaStatusFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"PortalQuotaStatus"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"QuotaStatus"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"scope"}},{"kind":"Field","name":{"kind":"Name","value":"limit"}},{"kind":"Field","name":{"kind":"Name","value":"used"}},{"kind":"Field","name":{"kind":"Name","value":"remaining"}},{"kind":"Field","name":{"kind":"Name","value":"percentUsed"}},{"kind":"Field","name":{"kind":"Name","value":"periodSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"windowStart"}},{"kind":"Field","name":{"kind":"Name","value":"resetsAt"}},{"kind":"Field","name":{"kind":"Name","value":"burnRatePerHour"}},{"kind":"Field","name":{"kind":"Name","value":"projectedExhaustionAt"}}]}}]} as unknown as DocumentNode<PortalQuotaStatusFragment, unknown>;
export const PortalCredentialQuotaDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalCredentialQuota"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"credential"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"quota"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"PortalQuotaStatus"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"PortalQuotaStatus"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"QuotaStatus"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"scope"}},{"kind":"Field","name":{"kind":"Name","value":"limit"}},{"kind":"Field","name":{"kind":"Name","value":"used"}},{"kind":"Field","name":{"kind":"Name","value":"remaining"}},{"kind":"Field","name":{"kind":"Name","value":"percentUsed"}},{"kind":"Field","name":{"kind":"Name","value":"periodSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"windowStart"}},{"kind":"Field","name":{"kind":"Name","value":"resetsAt"}},{"kind":"Field","name":{"kind":"Name","value":"burnRatePerHour"}},{"kind":"Field","name":{"kind":"Name","value":"projectedExhaustionAt"}}]}}]} as unknown as DocumentNode<PortalCredentialQuotaQuery, PortalCredentialQuotaQueryVariables>;
export const PortalQuotaStatusDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"PortalQuotaStatus"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"credentialId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"quotaStatusChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"credentialId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"credentialId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"PortalQuotaStatus"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"PortalQuotaStatus"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"QuotaStatus"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"scope"}},{"kind":"Field","name":{"kind":"Name","value":"limit"}},{"kind":"Field","name":{"kind":"Name","value":"used"}},{"kind":"Field","name":{"kind":"Name","value":"remaining"}},{"kind":"Field","name":{"kind":"Name","value":"percentUsed"}},{"kind":"Field","name":{"kind":"Name","value":"periodSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"windowStart"}},{"kind":"Field","name":{"kind":"Name","value":"resetsAt"}},{"kind":"Field","name":{"kind":"Name","value":"burnRatePerHour"}},{"kind":"Field","name":{"kind":"Name","value":"projectedExhaustionAt"}}]}}]} as unknown as DocumentNode<PortalQuotaStatusSubscription, PortalQuotaStatusSubscriptionVariables>;
export const PortalQuotaWarningsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"PortalQuotaWarnings"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"organizationId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"appId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"quotaWarnings"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"organizationId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"organizationId"}}},{"kind":"Argument","name":{"kind":"Name","value":"appId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"appId"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"thresholdPercent"}},{"kind":"Field","name":{"kind":"Name","value":"used"}},{"kind":"Field","name":{"kind":"Name","value":"limit"}},{"kind":"Field","name":{"kind":"Name","value":"resetsAt"}},{"kind":"Field","name":{"kind":"Name","value":"credentialId"}},{"kind":"Field","name":{"kind":"Name","value":"appId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]} as unknown as DocumentNode<PortalQuotaWarningsSubscription, PortalQuotaWarningsSubscriptionVariables>;
export const PortalCredentialUsageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalCredentialUsage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"granularity"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UsageGranularity"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"credential"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}},{"kind":"Argument","name":{"kind":"Name","value":"granularity"},"value":{"kind":"Variable","name":{"kind":"Name","value":"granularity"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"granularity"}},{"kind":"Field","name":{"kind":"Name","value":"spike"}},{"kind":"Field","name":{"kind":"Name","value":"points"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"rateLimited"}},{"kind":"Field","name":{"kind":"Name","value":"quotaExceeded"}},{"kind":"Field","name":{"kind":"Name","value":"errors4xx"}},{"kind":"Field","name":{"kind":"Name","value":"errors5xx"}}]}},{"kind":"Field","name":{"kind":"Name","value":"totals"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"rejectionRate"}}]}}]}}]}}]}}]} as unknown as DocumentNode<PortalCredentialUsageQuery, PortalCredentialUsageQueryVariables>;
export const PortalAppDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalApp"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"app"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"credentials"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"secretRevealed"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"plan"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"products"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"accessRequests"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"decisionReason"}},{"kind":"Field","name":{"kind":"Name","value":"plan"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"products"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<PortalAppQuery, PortalAppQueryVariables>;
export const PortalRevealSecretDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PortalRevealSecret"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RevealCredentialSecretInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revealCredentialSecret"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"credential"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"secretRevealed"}}]}},{"kind":"Field","name":{"kind":"Name","value":"secret"}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<PortalRevealSecretMutation, PortalRevealSecretMutationVariables>;
export const PortalMyAppsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalMyApps"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"memberships"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"apps"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"visibility"}},{"kind":"Field","name":{"kind":"Name","value":"credentials"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"ListValue","values":[{"kind":"EnumValue","value":"ACTIVE"}]}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}}]}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<PortalMyAppsQuery, PortalMyAppsQueryVariables>;
export const PortalCreateAppDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PortalCreateApp"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateAppInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createApp"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"app"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<PortalCreateAppMutation, PortalCreateAppMutationVariables>;
export const PortalCatalogueDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalCatalogue"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"products"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"slug"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"tags"}},{"kind":"Field","name":{"kind":"Name","value":"availablePlans"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"tier"}},{"kind":"Field","name":{"kind":"Name","value":"quota"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"unlimited"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"period"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<PortalCatalogueQuery, PortalCatalogueQueryVariables>;
export const PortalCredentialDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalCredential"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"credential"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"app"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"plan"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"products"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"sync"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<PortalCredentialQuery, PortalCredentialQueryVariables>;
export const PortalEntitlementsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalEntitlements"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"entitlements"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"app"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"credential"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}}]}},{"kind":"Field","name":{"kind":"Name","value":"plan"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"quota"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"unlimited"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"period"}}]}},{"kind":"Field","name":{"kind":"Name","value":"rateLimit"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"unlimited"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"perSeconds"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"products"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}}]}}]}}]}}]} as unknown as DocumentNode<PortalEntitlementsQuery, PortalEntitlementsQueryVariables>;
export const PortalMyOrganizationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalMyOrganizations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"memberships"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"since"}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"slug"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"members"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"role"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pendingInvitations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]} as unknown as DocumentNode<PortalMyOrganizationsQuery, PortalMyOrganizationsQueryVariables>;
export const PortalRequestOrganizationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PortalRequestOrganization"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RequestOrganizationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestOrganization"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<PortalRequestOrganizationMutation, PortalRequestOrganizationMutationVariables>;
export const PortalAcceptInvitationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PortalAcceptInvitation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AcceptInvitationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"acceptInvitation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<PortalAcceptInvitationMutation, PortalAcceptInvitationMutationVariables>;
export const PortalInviteMemberDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PortalInviteMember"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"InviteMemberInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"inviteMember"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"invitation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<PortalInviteMemberMutation, PortalInviteMemberMutationVariables>;
export const PortalProductPlansDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalProductPlans"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"slug"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"product"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"slug"},"value":{"kind":"Variable","name":{"kind":"Name","value":"slug"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"slug"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"descriptionHtml"}},{"kind":"Field","name":{"kind":"Name","value":"availablePlans"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"tier"}},{"kind":"Field","name":{"kind":"Name","value":"trialDays"}},{"kind":"Field","name":{"kind":"Name","value":"autoApprove"}},{"kind":"Field","name":{"kind":"Name","value":"keyExpiresAfterSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"jwtScopes"}},{"kind":"Field","name":{"kind":"Name","value":"quotaScope"}},{"kind":"Field","name":{"kind":"Name","value":"quota"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"unlimited"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"period"}},{"kind":"Field","name":{"kind":"Name","value":"periodSeconds"}}]}},{"kind":"Field","name":{"kind":"Name","value":"rateLimit"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"unlimited"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"perSeconds"}}]}},{"kind":"Field","name":{"kind":"Name","value":"endpointRules"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"productId"}},{"kind":"Field","name":{"kind":"Name","value":"allow"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"path"}},{"kind":"Field","name":{"kind":"Name","value":"methods"}}]}},{"kind":"Field","name":{"kind":"Name","value":"allowedTypes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"fields"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<PortalProductPlansQuery, PortalProductPlansQueryVariables>;
export const PortalRequestContextDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalRequestContext"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"planId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"productId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"plan"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"planId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"autoApprove"}},{"kind":"Field","name":{"kind":"Name","value":"quota"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"unlimited"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"period"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"product"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"productId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"memberships"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"apps"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<PortalRequestContextQuery, PortalRequestContextQueryVariables>;
export const PortalRequestAccessDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PortalRequestAccess"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RequestAccessInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestAccess"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accessRequest"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"credential"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}}]}},{"kind":"Field","name":{"kind":"Name","value":"secret"}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"retryAfter"}}]}}]}}]}}]} as unknown as DocumentNode<PortalRequestAccessMutation, PortalRequestAccessMutationVariables>;
export const PortalPendingApprovalsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalPendingApprovals"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accessRequests"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"status"},"value":{"kind":"ListValue","values":[{"kind":"EnumValue","value":"PENDING"}]}}]}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"app"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"plan"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"products"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"requestedBy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"organizations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"status"},"value":{"kind":"ListValue","values":[{"kind":"EnumValue","value":"PENDING"}]}}]}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"slug"}},{"kind":"Field","name":{"kind":"Name","value":"createdBy"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]}}]}}]} as unknown as DocumentNode<PortalPendingApprovalsQuery, PortalPendingApprovalsQueryVariables>;
export const PortalAccessRequestEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"PortalAccessRequestEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accessRequestEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"accessRequest"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<PortalAccessRequestEventsSubscription, PortalAccessRequestEventsSubscriptionVariables>;
export const PortalApproveAccessDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PortalApproveAccess"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ApproveAccessRequestInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"approveAccessRequest"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accessRequest"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<PortalApproveAccessMutation, PortalApproveAccessMutationVariables>;
export const PortalRejectAccessDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PortalRejectAccess"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RejectAccessRequestInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rejectAccessRequest"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accessRequest"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<PortalRejectAccessMutation, PortalRejectAccessMutationVariables>;
export const PortalApproveOrganizationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PortalApproveOrganization"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ApproveOrganizationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"approveOrganization"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<PortalApproveOrganizationMutation, PortalApproveOrganizationMutationVariables>;
export const PortalPlanEditorDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalPlanEditor"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"plan"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"quotaScope"}},{"kind":"Field","name":{"kind":"Name","value":"keyExpiresAfterSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"quota"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"unlimited"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"period"}},{"kind":"Field","name":{"kind":"Name","value":"periodSeconds"}}]}},{"kind":"Field","name":{"kind":"Name","value":"rateLimit"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"unlimited"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"perSeconds"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"planChangeRequests"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"planId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"EnumValue","value":"PENDING"}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"proposedBy"}},{"kind":"Field","name":{"kind":"Name","value":"proposedAt"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"baseVersion"}},{"kind":"Field","name":{"kind":"Name","value":"changes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"before"}},{"kind":"Field","name":{"kind":"Name","value":"after"}}]}},{"kind":"Field","name":{"kind":"Name","value":"impact"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"days"},"value":{"kind":"IntValue","value":"7"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"countersAffected"}},{"kind":"Field","name":{"kind":"Name","value":"organizationsAffected"}},{"kind":"Field","name":{"kind":"Name","value":"requestsOverQuota"}},{"kind":"Field","name":{"kind":"Name","value":"requestsOverRateLimit"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<PortalPlanEditorQuery, PortalPlanEditorQueryVariables>;
export const PortalPlanImpactDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalPlanImpact"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"PlanChangeImpactInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"planChangeImpact"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"countersWithTraffic"}},{"kind":"Field","name":{"kind":"Name","value":"countersAffected"}},{"kind":"Field","name":{"kind":"Name","value":"organizationsAffected"}},{"kind":"Field","name":{"kind":"Name","value":"requestsOverQuota"}},{"kind":"Field","name":{"kind":"Name","value":"requestsOverRateLimit"}},{"kind":"Field","name":{"kind":"Name","value":"affected"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"scope"}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"app"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"requestsOverQuota"}},{"kind":"Field","name":{"kind":"Name","value":"requestsOverRateLimit"}}]}}]}}]}}]} as unknown as DocumentNode<PortalPlanImpactQuery, PortalPlanImpactQueryVariables>;
export const PortalUpdatePlanDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PortalUpdatePlan"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdatePlanInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updatePlan"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"plan"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<PortalUpdatePlanMutation, PortalUpdatePlanMutationVariables>;
export const PortalProposePlanChangeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PortalProposePlanChange"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ProposePlanChangeInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"proposePlanChange"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"changeRequest"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<PortalProposePlanChangeMutation, PortalProposePlanChangeMutationVariables>;
export const PortalApprovePlanChangeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PortalApprovePlanChange"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ApprovePlanChangeInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"approvePlanChange"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"changeRequest"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"appliedVersion"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<PortalApprovePlanChangeMutation, PortalApprovePlanChangeMutationVariables>;
export const PortalRejectPlanChangeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PortalRejectPlanChange"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RejectPlanChangeInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rejectPlanChange"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"changeRequest"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<PortalRejectPlanChangeMutation, PortalRejectPlanChangeMutationVariables>;
export const PortalAdminPlansDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalAdminPlans"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"plans"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"tier"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"quota"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"unlimited"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"period"}}]}},{"kind":"Field","name":{"kind":"Name","value":"rateLimit"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"unlimited"}},{"kind":"Field","name":{"kind":"Name","value":"requests"}},{"kind":"Field","name":{"kind":"Name","value":"perSeconds"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"planChangeRequests"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"EnumValue","value":"PENDING"}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}}]}}]} as unknown as DocumentNode<PortalAdminPlansQuery, PortalAdminPlansQueryVariables>;
export const PortalSyncBoardDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PortalSyncBoard"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"providers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"isDefault"}},{"kind":"Field","name":{"kind":"Name","value":"health"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"lastSuccessAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"plans"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"sync"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"syncedAt"}},{"kind":"Field","name":{"kind":"Name","value":"pendingSince"}},{"kind":"Field","name":{"kind":"Name","value":"stuck"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"products"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"sync"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}},{"kind":"Field","name":{"kind":"Name","value":"syncedAt"}},{"kind":"Field","name":{"kind":"Name","value":"pendingSince"}},{"kind":"Field","name":{"kind":"Name","value":"stuck"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<PortalSyncBoardQuery, PortalSyncBoardQueryVariables>;