import type { SubgraphModule } from '../../common/server';
import { buildFederatedSchema } from '../../common/federation';
import { Organization } from './entities/organization';
import { OrganizationMember } from './entities/organization-member';
import { Developer } from './entities/developer';
import { Invitation } from './entities/invitation';
import { Team } from './entities/team';
import { TeamMember } from './entities/team-member';
import { App } from './entities/app';
import { AccessRequest } from './entities/access-request';
import { Credential } from './entities/credential';
import { WebhookEndpoint } from './entities/webhook-endpoint';
import { WebhookDelivery } from './entities/webhook-delivery';
import { QuotaBoost } from './entities/quota-boost';
import { UpgradeOffer } from './entities/upgrade-offer';
import { PlanMigration, PlanMigrationItem, PlanMigrationStep } from './entities/plan-migration';
import { migrations } from './migrations';
// type-graphql registers types in import order and the printed schema follows it: the app
// types and operations are registered before the organization ones (keep this order).
import { AppResolver } from './resolvers/app.resolver';
import { OrganizationResolver } from './resolvers/organization.resolver';
import { OrganizationLifecycleResolver } from './resolvers/organization-lifecycle.resolver';
import { OrganizationMemberResolver } from './resolvers/organization-member.resolver';
import { MembershipResolver } from './resolvers/membership.resolver';
import { DeveloperResolver } from './resolvers/developer.resolver';
import { TeamMemberResolver, TeamResolver } from './resolvers/team.resolver';
import { ViewerResolver } from './resolvers/viewer.resolver';
import { AccessRequestResolver, AppAccessRequestsResolver, OrganizationAccessRequestsResolver } from './resolvers/access-request.resolver';
import { AppCredentialsResolver, CredentialResolver, OrganizationCredentialsResolver } from './resolvers/credential.resolver';
import { CredentialFormatResolver } from './resolvers/credential-format.resolver';
import { AccessRequestEventResolver } from './resolvers/access-events.resolver';
import { EntitlementResolver, OrganizationEntitlementsResolver, ViewerEntitlementsResolver } from './resolvers/entitlement.resolver';
import { GovernanceResolver } from './resolvers/governance.resolver';
import { AccessReviewResolver, CredentialRevocationResolver } from './resolvers/access-review.resolver';
import { WebhookEndpointResolver } from './resolvers/webhook.resolver';
import { CredentialQuotaBoostsResolver, QuotaBoostResolver } from './resolvers/quota-boost.resolver';
import { UpgradeOfferResolver } from './resolvers/upgrade-offer.resolver';
import { PlanMigrationResolver } from './resolvers/plan-migration.resolver';
import { resolveAccessRequestReference } from './access-request.reference';
import { resolveCredentialReference } from './credential.reference';
import { resolvePlanMigrationReference } from './plan-migration.reference';
import { developersJobs } from './jobs';
import { ACCESS_REVIEW_REPORT_SCHEDULE } from './services/access-review';
import { resolveOrganizationReference } from './organization.reference';
import { resolveDeveloperReference } from './developer.reference';
import { resolveTeamReference } from './team.reference';
import { resolveAppReference } from './app.reference';
import { resolveInvitationReference } from './invitation.reference';

/**
 * The developers subgraph: who uses the portal (viewer, developer profiles), their
 * organizations (requested, approved, suspended), memberships and invitations, teams, apps, access
 * requests and credentials (with realtime events and entitlements), the jobs that follow them, and
 * governance (the audit log, revoking every credential of an organization), and webhooks (endpoints,
 * the dispatcher of the outbox `platform.webhook_event`, signed deliveries with retries).
 */
export const developersSubgraph: SubgraphModule = {
  name: 'developers',
  entities: [
    Organization,
    OrganizationMember,
    Developer,
    Invitation,
    Team,
    TeamMember,
    App,
    AccessRequest,
    Credential,
    WebhookEndpoint,
    WebhookDelivery,
    QuotaBoost,
    UpgradeOffer,
    PlanMigration,
    PlanMigrationItem,
    PlanMigrationStep,
  ],
  migrations,
  buildSchema: (pubsub) =>
    buildFederatedSchema({
      resolvers: [
        ViewerResolver,
        DeveloperResolver,
        OrganizationResolver,
        OrganizationLifecycleResolver,
        OrganizationMemberResolver,
        MembershipResolver,
        TeamResolver,
        TeamMemberResolver,
        AppResolver,
        AccessRequestResolver,
        OrganizationAccessRequestsResolver,
        AppAccessRequestsResolver,
        CredentialResolver,
        OrganizationCredentialsResolver,
        AppCredentialsResolver,
        CredentialFormatResolver,
        AccessRequestEventResolver,
        EntitlementResolver,
        OrganizationEntitlementsResolver,
        ViewerEntitlementsResolver,
        GovernanceResolver,
        AccessReviewResolver,
        CredentialRevocationResolver,
        WebhookEndpointResolver,
        QuotaBoostResolver,
        CredentialQuotaBoostsResolver,
        UpgradeOfferResolver,
        PlanMigrationResolver,
      ],
      references: {
        Organization: resolveOrganizationReference as never,
        Developer: resolveDeveloperReference as never,
        Team: resolveTeamReference as never,
        App: resolveAppReference as never,
        Invitation: resolveInvitationReference as never,
        AccessRequest: resolveAccessRequestReference as never,
        Credential: resolveCredentialReference as never,
        PlanMigration: resolvePlanMigrationReference as never,
      },
      pubSub: pubsub.forTypeGraphQL(),
    }),
  jobs: (runtime) => developersJobs(runtime),
  recurring: [ACCESS_REVIEW_REPORT_SCHEDULE],
};
