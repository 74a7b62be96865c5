import { randomUUID } from 'node:crypto';
import { startPlatform, type TestPlatform } from '../helpers/platform';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from '../helpers/graphql';
import { analytics } from '../kit/usage';
import { unique } from '../helpers/db';
import { Fixtures } from '../helpers/fixtures';
import { waitFor } from '../helpers/wait';
import { TykTestServer } from '../tyk/server';
import { raiseQuotaWarning } from '../kit/quota-warnings';
import { announceQuotaStatus } from '../kit/quota-status';
import { QuotaWarningKind } from '../../subgraphs/usage/entities/quota-warning';
import { AccessRequestEventType } from '../../subgraphs/developers/entities/access-request-event';
import { emitAccessEvent } from '../../subgraphs/developers/services/events';
import { CALLERS, type CallerName } from './matrix';

/**
 * The one world the authorization matrix runs against, built through the gateway's public API:
 *
 * - organization A (ACTIVE): `orgAdmin` is its ORG_ADMIN, `developer` a MEMBER (joined through an
 *   invitation), a team with the developer in it, an app with a live credential (manual approval,
 *   SYNCED in the Tyk test server, secret revealed once) and a second app whose credential
 *   (auto-approved) was revoked, a PENDING and a REVOKED invitation, a quota warning;
 * - organization B (ACTIVE): `outsider` is its ORG_ADMIN — every id the rows use belongs to A;
 * - a PRIVATE catalog offered to A only, with a PUBLISHED product and PUBLISHED plans in it, and an
 *   ARCHIVED product;
 * - a Tyk Gateway provider (registered with an MFA token), the default one.
 *
 * `identities` are the callers of the matrix columns. The portal admin column carries no MFA
 * claim; `mfaIdentities` are the same subjects with `amr: ['pwd', 'mfa']` (step-up rows).
 */
export interface World {
  platform: TestPlatform;
  tyk: TykTestServer;
  identities: Record<CallerName, Identity | null>;
  mfaIdentities: Record<CallerName, Identity | null>;
  ids: WorldIds;
  /**
   * Raises a quota warning of organization A or B about an app (default: `app` for A,
   * `outsiderApp` for B); each call is in a new window, so it is always new.
   */
  raiseQuotaWarning(organization: 'A' | 'B', appId?: string): Promise<void>;
  /** Publishes an access-request event of organization A or B (as the developers subgraph does). */
  emitAccessEvent(organization: 'A' | 'B'): Promise<void>;
  /** Announces a change of the quota of a credential of A (as an ingest batch does). */
  announceQuotaStatus(credentialId: string): Promise<void>;
  stop(): Promise<void>;
}

export interface WorldIds {
  orgA: string;
  orgASlug: string;
  orgB: string;
  /** An app of B (the outsider's own). */
  outsiderApp: string;
  team: string;
  /** One team of A per caller, for `deleteTeam` (each caller deletes its own). */
  disposableTeams: Record<CallerName, string>;
  app: string;
  secondApp: string;
  /** A PERSONAL app of A created by `orgAdmin`: hidden from the developer (a MEMBER). */
  personalApp: string;
  /** APPROVED access request of `app` (manual approval). */
  accessRequest: string;
  /** ACTIVE credential of `app`, secret revealed, SYNCED. */
  credential: string;
  /** ACTIVE credential of `personalApp` (hidden from the developer). */
  personalCredential: string;
  /** REVOKED credential of `secondApp`. */
  revokedCredential: string;
  pendingInvitation: string;
  revokedInvitation: string;
  privateCatalog: string;
  privateCatalogName: string;
  /** PUBLIC catalog with a PUBLISHED product and plan: everyone sees them, so field rules show. */
  publicCatalog: string;
  publicProduct: string;
  publicPlan: string;
  /** PUBLISHED product in the PUBLIC catalog AND the catalog private to A (with `plan`). */
  sharedProduct: string;
  /** SUSPENDED organization (with a reason) where `orgAdmin` is ORG_ADMIN and `developer` a MEMBER. */
  orgSuspended: string;
  /** PENDING invitation into A for the outsider's email (the invitee's view of an organization). */
  outsiderInvitation: string;
  product: string;
  productSlug: string;
  archivedProduct: string;
  /** PUBLISHED, manual approval, in the private catalog. */
  plan: string;
  /** PUBLISHED, auto-approve, in the private catalog. */
  autoPlan: string;
  provider: string;
  /** Plan change request proposed by another portal admin and rejected by the portal admin of the column. */
  decidedChangeRequest: string;
  /** PENDING plan change request proposed by the portal admin of the column (its own). */
  ownChangeRequest: string;
  /** A ROLLED_BACK staged rollout of a quota change of `publicPlan` (rolling it back again changes nothing). */
  planRollout: string;
  /** PREVIEW of a bulk migration of `plan`'s subscribers to `publicPlan` (nothing moved). */
  planMigration: string;
  /** Webhook endpoint of A (disabled, at a public address: nothing is ever sent). */
  webhookEndpoint: string;
  /** One webhook endpoint of A per caller, for `deleteWebhookEndpoint`. */
  disposableWebhookEndpoints: Record<CallerName, string>;
  /** A FAILED delivery of `webhookEndpoint` (a redelivery is refused while the endpoint is disabled). */
  webhookDelivery: string;
  /** A REVOKED quota boost of `credential` (revoking it again changes nothing). */
  endedBoost: string;
  /** A DECLINED upgrade offer for `app` (answering it again changes nothing or is refused after authorization). */
  declinedOffer: string;
  /** Subjects of the callers (for inputs that name members). */
  subjects: Record<CallerName, string | null>;
  /** Email the pending invitation is for (nobody among the callers). */
  inviteeEmail: string;
}

export async function buildWorld(): Promise<World> {
  // Rate limiting of the platform API is per caller; the matrix sends a few hundred requests as
  // the same callers in well under a minute, so it runs behind a gateway without the limit.
  const platform = await startPlatform({ gatewayEnv: { ...process.env, PLATFORM_RATE_LIMIT: '0/60' } });
  let tyk: TykTestServer | undefined;
  try {
    tyk = await TykTestServer.start();
    return await populate(platform, tyk);
  } catch (error) {
    await tyk?.stop().catch(() => undefined);
    await platform.stop().catch(() => undefined);
    throw error;
  }
}

async function populate(platform: TestPlatform, tyk: TykTestServer): Promise<World> {
  const adminSub = `admin-${randomUUID()}`;
  const identities: Record<CallerName, Identity | null> = {
    anonymous: null,
    developer: developer(),
    orgAdmin: developer(),
    outsider: developer(),
    portalAdmin: portalAdmin(adminSub),
    service: { sub: `service-${randomUUID()}`, roles: ['service'] },
  };
  const mfaIdentities = Object.fromEntries(
    CALLERS.map((c) => [c, identities[c] ? { ...identities[c]!, amr: ['pwd', 'mfa'] } : null]),
  ) as Record<CallerName, Identity | null>;
  const admin = mfaIdentities.portalAdmin!;
  /** A second portal admin (separation of duties: proposes what the first decides). */
  const otherAdmin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const url = platform.gatewayUrl;
  const fixtures = new Fixtures(url, admin);

  const mutate = async (name: string, inputType: string, input: Record<string, unknown>, select: string, identity: Identity) => {
    const r = await gatewayRequest(
      url,
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${select} errors { code field message } } }`,
      { i: input },
      identity,
    );
    if (r.errors?.length) throw new Error(`${name}: ${JSON.stringify(r.errors)}`);
    const payload = r.data[name];
    if (payload.errors.length) throw new Error(`${name}: ${JSON.stringify(payload.errors)}`);
    return payload;
  };
  const query = async (document: string, variables: Record<string, unknown>, identity: Identity) => {
    const r = await gatewayRequest(url, document, variables, identity);
    if (r.errors?.length) throw new Error(`${document}: ${JSON.stringify(r.errors)}`);
    return r.data;
  };

  const dev = identities.developer!;
  const orgAdmin = identities.orgAdmin!;

  const provider = await fixtures.provider(tyk);

  // A policy created in Tyk (dashboard-first), imported by a sync: the provider has an imported policy.
  tyk.putPolicyDirect({
    id: unique('imported'),
    name: 'Imported in Tyk',
    org_id: tyk.orgId,
    rate: 10,
    per: 1,
    quota_max: 100,
    quota_renewal_rate: 3600,
    access_rights: {},
    partitions: { quota: true, rate_limit: true, acl: false, complexity: false, per_api: false },
    tags: ['plangraph'],
    meta_data: {},
    active: true,
  });
  await mutate('syncProvider', 'SyncProviderInput', { id: provider }, 'provider { id }', admin);

  // Organizations: A with an ORG_ADMIN and a MEMBER (joined by invitation), B with the outsider.
  const orgASlug = unique('org-a');
  const orgA = await fixtures.organization(orgAdmin.sub, { slug: orgASlug });
  const orgB = await fixtures.organization(identities.outsider!.sub);
  const join = (
    await mutate(
      'inviteMember',
      'InviteMemberInput',
      { organizationId: orgA, email: dev.email, role: 'MEMBER' },
      'invitation { id }',
      orgAdmin,
    )
  ).invitation.id;
  await mutate('acceptInvitation', 'AcceptInvitationInput', { invitationId: join }, 'invitation { id }', dev);
  const inviteeEmail = `${unique('invitee')}@example.com`;
  const pendingInvitation = (
    await mutate(
      'inviteMember',
      'InviteMemberInput',
      { organizationId: orgA, email: inviteeEmail, role: 'MEMBER' },
      'invitation { id }',
      orgAdmin,
    )
  ).invitation.id as string;
  const revokedInvitation = (
    await mutate(
      'inviteMember',
      'InviteMemberInput',
      { organizationId: orgA, email: `${unique('gone')}@example.com`, role: 'MEMBER' },
      'invitation { id }',
      orgAdmin,
    )
  ).invitation.id as string;
  await mutate('revokeInvitation', 'RevokeInvitationInput', { invitationId: revokedInvitation }, 'invitation { id }', orgAdmin);

  const outsiderInvitation = (
    await mutate(
      'inviteMember',
      'InviteMemberInput',
      { organizationId: orgA, email: identities.outsider!.email, role: 'MEMBER' },
      'invitation { id }',
      orgAdmin,
    )
  ).invitation.id as string;

  // A suspended organization with the same two people, for the decision fields.
  const orgSuspended = await fixtures.organization(orgAdmin.sub, { slug: unique('org-suspended') });
  const joinSuspended = (
    await mutate(
      'inviteMember',
      'InviteMemberInput',
      { organizationId: orgSuspended, email: dev.email, role: 'MEMBER' },
      'invitation { id }',
      orgAdmin,
    )
  ).invitation.id;
  await mutate('acceptInvitation', 'AcceptInvitationInput', { invitationId: joinSuspended }, 'invitation { id }', dev);
  await mutate(
    'suspendOrganization',
    'SuspendOrganizationInput',
    { id: orgSuspended, reason: 'Unpaid invoices' },
    'organization { id }',
    admin,
  );

  const createTeam = async (name: string) =>
    (await mutate('createTeam', 'CreateTeamInput', { organizationId: orgA, name }, 'team { id }', orgAdmin)).team.id as string;
  const team = await createTeam(unique('team'));
  await mutate('addTeamMember', 'AddTeamMemberInput', { teamId: team, subject: dev.sub }, 'team { id }', orgAdmin);
  const disposableTeams = {} as Record<CallerName, string>;
  for (const caller of CALLERS) disposableTeams[caller] = await createTeam(unique(`disposable-${caller}`));

  // The catalogue: private to A.
  const privateCatalogName = unique('private-a');
  const privateCatalog = await fixtures.catalog({ name: privateCatalogName, visibility: 'PRIVATE', organizationIds: [orgA] });
  const product = await fixtures.product({ catalogIds: [privateCatalog] });
  const archivedProduct = await fixtures.product({ catalogIds: [privateCatalog] });
  await mutate('archiveProduct', 'ArchiveProductInput', { id: archivedProduct }, 'product { id }', admin);
  const plan = await fixtures.plan({ name: unique('manual'), catalogIds: [privateCatalog] });
  const publicCatalog = await fixtures.catalog({ visibility: 'PUBLIC' });
  const publicProduct = await fixtures.product({ catalogIds: [publicCatalog] });
  const publicPlan = await fixtures.plan({ name: unique('public'), catalogIds: [publicCatalog] });
  const sharedProduct = await fixtures.product({ catalogIds: [publicCatalog, privateCatalog] });
  const autoPlan = await fixtures.plan({ name: unique('auto'), catalogIds: [privateCatalog], autoApprove: true });

  // Apps, an approved request with a live credential, and a revoked credential.
  const app = (await mutate('createApp', 'CreateAppInput', { organizationId: orgA, name: unique('app'), teamId: team }, 'app { id }', dev))
    .app.id as string;
  const secondApp = (await mutate('createApp', 'CreateAppInput', { organizationId: orgA, name: unique('app2') }, 'app { id }', dev)).app
    .id as string;
  const personalApp = (
    await mutate(
      'createApp',
      'CreateAppInput',
      { organizationId: orgA, name: unique('personal'), visibility: 'PERSONAL' },
      'app { id }',
      orgAdmin,
    )
  ).app.id as string;
  const accessRequest = (
    await mutate('requestAccess', 'RequestAccessInput', { appId: app, planId: plan, productIds: [product] }, 'accessRequest { id }', dev)
  ).accessRequest.id as string;
  const credential = (
    await mutate('approveAccessRequest', 'ApproveAccessRequestInput', { id: accessRequest }, 'accessRequest { credential { id } }', admin)
  ).accessRequest.credential.id as string;
  await mutate('revealCredentialSecret', 'RevealCredentialSecretInput', { id: credential }, 'secret', dev);
  const revokedCredential = (
    await mutate(
      'requestAccess',
      'RequestAccessInput',
      { appId: secondApp, planId: autoPlan, productIds: [product] },
      'credential { id }',
      dev,
    )
  ).credential.id as string;
  await mutate('revokeCredential', 'RevokeCredentialInput', { id: revokedCredential }, 'credential { id }', dev);
  const personalCredential = (
    await mutate(
      'requestAccess',
      'RequestAccessInput',
      { appId: personalApp, planId: autoPlan, productIds: [product] },
      'credential { id }',
      orgAdmin,
    )
  ).credential.id as string;

  let window = Date.UTC(2020, 0, 1);
  const outsiderApp = (
    await mutate('createApp', 'CreateAppInput', { organizationId: orgB, name: unique('outsider-app') }, 'app { id }', identities.outsider!)
  ).app.id as string;
  const productSlug = (await query(`query($id: ID) { product(id: $id) { slug } }`, { id: product }, admin)).product.slug as string;

  const raise = async (organization: 'A' | 'B', appId?: string) => {
    window += 60_000;
    const usage = platform.subgraphs.usage!;
    await raiseQuotaWarning(usage.orm.em.fork() as never, usage.pubsub, {
      organizationId: organization === 'A' ? orgA : orgB,
      appId: appId ?? (organization === 'A' ? app : outsiderApp),
      kind: QuotaWarningKind.SOFT,
      thresholdPercent: 80,
      used: 800,
      limit: 1000,
      windowStart: new Date(window),
      resetsAt: new Date(window + 86_400_000),
    });
  };
  await raise('A');

  const announce = async (credentialId: string) => {
    const usage = platform.subgraphs.usage!;
    const now = Date.now();
    await announceQuotaStatus(usage.orm.em.fork() as never, usage.pubsub, credentialId, {
      used: 1,
      limit: 1000,
      windowStart: new Date(now - 60_000),
      resetsAt: new Date(now + 3_600_000),
    });
  };

  const emit = async (organization: 'A' | 'B') => {
    const developers = platform.subgraphs.developers!;
    await developers.orm.em.fork().transactional(async (em) => {
      await emitAccessEvent(
        developers.pubsub,
        em as never,
        organization === 'A'
          ? {
              type: AccessRequestEventType.APPROVED,
              organizationId: orgA,
              accessRequestId: accessRequest,
              credentialId: credential,
              at: new Date(),
            }
          : { type: AccessRequestEventType.REQUESTED, organizationId: orgB, at: new Date() },
      );
    });
  };

  // The credential's key is issued in Tyk (provider sync), so its sync state has an external id.
  await waitFor(
    async () => {
      const data = await query(`query($id: ID!) { credential(id: $id) { sync { status } } }`, { id: credential }, admin);
      return data.credential.sync.status === 'SYNCED';
    },
    { timeoutMs: 20_000, intervalMs: 200, what: 'the credential to be SYNCED in the Tyk test server' },
  );
  // One rate-limited request of that key, ingested, so `Credential.recentRefusals` has a row to show.
  const [key] = await platform.subgraphs
    .provider!.orm.em.getConnection()
    .execute<{ key_hash: string }[]>(`select key_hash from provider.credential_key where credential_id = ?`, [credential]);
  const ingested = await fetch(platform.subgraphs.usage!.url.replace(/\/graphql$/, '/ingest/tyk'), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${tokenFor({ sub: 'tyk-pump-forwarder', roles: ['service'] })}`,
    },
    body: JSON.stringify([analytics({ keyHash: key.key_hash, policyIds: [] }, new Date(), { response_code: 429 })]),
  });
  if (ingested.status !== 200) throw new Error(`world: ingest answered ${ingested.status}`);

  // Plan change requests (separation of duties): one decided, one PENDING of the column's admin.
  const propose = async (by: Identity) =>
    (
      await mutate(
        'proposePlanChange',
        'ProposePlanChangeInput',
        { id: plan, changes: { tier: 7 }, reason: 'Authorization matrix' },
        'changeRequest { id }',
        by,
      )
    ).changeRequest.id as string;
  const decidedChangeRequest = await propose(otherAdmin);
  await mutate('rejectPlanChange', 'RejectPlanChangeInput', { id: decidedChangeRequest, reason: 'Not now' }, 'changeRequest { id }', admin);
  const ownChangeRequest = await propose(admin);
  // A staged rollout of a quota change of the public plan, rolled back at once (its keys keep the plan's limits).
  const stagedChange = (
    await mutate(
      'proposePlanChange',
      'ProposePlanChangeInput',
      { id: publicPlan, changes: { quota: { requests: 2000, period: 'DAY' } }, reason: 'Authorization matrix' },
      'changeRequest { id }',
      otherAdmin,
    )
  ).changeRequest.id as string;
  const planRollout = (
    await mutate(
      'approvePlanChange',
      'ApprovePlanChangeInput',
      { id: stagedChange, rollout: { stages: [50, 100], stageDurationSeconds: 3600 } },
      'changeRequest { rollout { id } }',
      admin,
    )
  ).changeRequest.rollout.id as string;
  await mutate(
    'rollBackPlanRollout',
    'RollBackPlanRolloutInput',
    { id: planRollout, reason: 'Authorization matrix' },
    'rollout { id }',
    admin,
  );
  const planMigration = (
    await mutate(
      'migratePlanSubscribers',
      'MigratePlanSubscribersInput',
      { fromPlanId: plan, toPlanId: publicPlan, reason: 'Authorization matrix', dryRun: true },
      'planMigration { id }',
      admin,
    )
  ).planMigration.id as string;

  // Webhook endpoints of A: disabled and at a public address, so nothing is ever sent from the world.
  const endpointInput = { organizationId: orgA, url: 'https://93.184.215.14/hooks', eventTypes: ['CREDENTIAL_EXPIRING'], enabled: false };
  const createEndpoint = async () =>
    (await mutate('createWebhookEndpoint', 'CreateWebhookEndpointInput', endpointInput, 'webhookEndpoint { id }', orgAdmin)).webhookEndpoint
      .id as string;
  const webhookEndpoint = await createEndpoint();
  const disposableWebhookEndpoints = {} as Record<CallerName, string>;
  for (const caller of CALLERS) disposableWebhookEndpoints[caller] = await createEndpoint();
  // A platform endpoint (portal admins'), so their list is not empty.
  await mutate(
    'createWebhookEndpoint',
    'CreateWebhookEndpointInput',
    { url: endpointInput.url, eventTypes: ['PLAN_CREATED'], enabled: false },
    'webhookEndpoint { id }',
    admin,
  );
  const webhookDelivery = randomUUID();
  await platform.subgraphs.developers!.orm.em.getConnection().execute(
    `insert into developers.webhook_delivery (id, endpoint_id, event_id, event_type, organization_id, status, attempts, created_at, completed_at)
       values (?, ?, 1, 'CREDENTIAL_EXPIRING', ?, 'FAILED', 1, now(), now())`,
    [webhookDelivery, webhookEndpoint, orgA],
  );

  // A quota boost that ended and an upgrade offer that was declined (written directly: the rows
  // revoke and answer them again, which changes nothing).
  const endedBoost = randomUUID();
  const declinedOffer = randomUUID();
  const developersSql = platform.subgraphs.developers!.orm.em.getConnection();
  await developersSql.execute(
    `insert into developers.quota_boost (id, credential_id, organization_id, app_id, plan_id, extra_quota_requests, quota_max,
        quota_period_seconds, starts_at, expires_at, status, reason, granted_by, granted_by_portal_admin, ended_at, revoked_by, created_at, updated_at)
       values (?, ?, ?, ?, ?, 1, 1001, 86400, now() - interval '1 hour', now() + interval '1 hour', 'REVOKED', 'world', 'world', true, now(), 'world', now(), now())`,
    [endedBoost, credential, orgA, app, plan],
  );
  await developersSql.execute(
    `insert into developers.upgrade_offer (id, organization_id, app_id, credential_id, from_plan_id, to_plan_id, status, projected_used,
        quota_limit, window_resets_at, expires_at, decided_by, decided_at, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, 'DECLINED', 2000, 1000, now() + interval '1 day', now() + interval '7 days', 'world', now(), now(), now())`,
    [declinedOffer, orgA, app, credential, plan, autoPlan],
  );

  const subjects = Object.fromEntries(CALLERS.map((c) => [c, identities[c]?.sub ?? null])) as Record<CallerName, string | null>;
  return {
    platform,
    tyk,
    identities,
    mfaIdentities,
    raiseQuotaWarning: raise,
    emitAccessEvent: emit,
    announceQuotaStatus: announce,
    ids: {
      orgA,
      orgASlug,
      orgB,
      outsiderApp,
      team,
      disposableTeams,
      app,
      secondApp,
      personalApp,
      personalCredential,
      accessRequest,
      credential,
      revokedCredential,
      endedBoost,
      declinedOffer,
      pendingInvitation,
      revokedInvitation,
      privateCatalog,
      privateCatalogName,
      publicCatalog,
      publicProduct,
      publicPlan,
      sharedProduct,
      orgSuspended,
      outsiderInvitation,
      product,
      productSlug,
      archivedProduct,
      plan,
      autoPlan,
      provider,
      webhookEndpoint,
      disposableWebhookEndpoints,
      webhookDelivery,
      subjects,
      inviteeEmail,
      decidedChangeRequest,
      ownChangeRequest,
      planRollout,
      planMigration,
    },
    async stop() {
      await platform.stop();
      await tyk.stop();
    },
  };
}
