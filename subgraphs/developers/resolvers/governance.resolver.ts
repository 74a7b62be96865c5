/**
 * Governance served by the developers subgraph (it knows who administers which organization):
 * the audit log (`auditLog`, `verifyAuditLog`) and the emergency revocation of every credential of
 * an organization (`revokeOrganizationCredentials`, step-up).
 */
import { Arg, Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { verifyAuditChain } from '../../../common/audit';
import type { ConnectionShape } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import type { Credential } from '../entities/credential';
import type { Organization } from '../entities/organization';
import { developerMutation } from '../services/profile';
import { readAuditLog, revokeOrganizationCredentials } from '../services/governance';
import { serviceOps } from '../../../common/ops';
import {
  AuditEntry,
  AuditEntryConnection,
  AuditLogArgs,
  AuditVerification,
  RevokeOrganizationCredentialsInput,
  RevokeOrganizationCredentialsPayload,
} from './governance.types';

@Resolver()
export class GovernanceResolver {
  @Query(() => AuditEntryConnection, {
    description:
      'The audit log, newest first: every change made through the API or by jobs, and every write to a provider. Portal admins see every entry; ORG_ADMINs only entries of organizations they administer (the organization filter is forced to those); everyone else gets FORBIDDEN.',
  })
  auditLog(@Args(() => AuditLogArgs) args: AuditLogArgs, @Ctx() context: SubgraphContext): Promise<ConnectionShape<AuditEntry>> {
    return readAuditLog(context.em, context.caller, args);
  }

  @Query(() => AuditVerification, {
    description:
      'Recomputes the audit log’s hash chain and reports the first entry that was altered, removed or reordered. Portal admins only.',
  })
  async verifyAuditLog(@Ctx() context: SubgraphContext): Promise<AuditVerification> {
    context.caller.requirePortalAdmin();
    return Object.assign(new AuditVerification(), await verifyAuditChain(context.em));
  }

  @Mutation(() => RevokeOrganizationCredentialsPayload, {
    description:
      'Emergency stop: revokes every ACTIVE credential of an organization in one transaction (their Tyk keys are deleted by the provider, CREDENTIAL_REVOKED is published for each) and records the reason in the audit log. Revoking again revokes nothing more. Portal admins only, with a token that asserts MFA (MFA_REQUIRED otherwise).',
  })
  async revokeOrganizationCredentials(
    @Arg('input', () => RevokeOrganizationCredentialsInput, { description: 'The organization and why.' })
    input: RevokeOrganizationCredentialsInput,
    @Ctx() context: SubgraphContext,
  ): Promise<RevokeOrganizationCredentialsPayload> {
    const subject = context.caller.requirePortalAdmin();
    context.caller.requireMfa('Revoking all credentials of an organization');
    return developerMutation<{ organization: Organization | null; revokedCredentials: Credential[] }>(
      context,
      (em) => revokeOrganizationCredentials(serviceOps(context, em), context.caller, subject, input),
      () => ({ organization: null, revokedCredentials: [] }),
    );
  }
}
