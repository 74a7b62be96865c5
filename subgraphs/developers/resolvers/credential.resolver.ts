import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { KeyValue, keyValue } from '../../../common/key-value';
import { PageArgs } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { App } from '../entities/app';
import { Credential, CredentialStatus, effectiveCredentialStatus } from '../entities/credential';
import { Organization } from '../entities/organization';
import { PlanRef, planRef, ProductRef, productRefs } from '../entities/refs';
import {
  appByIdLoader,
  credentialByIdLoader,
  loadVisibleCredential,
  organizationByIdLoader,
  replacedByLoader,
  requestTime,
  appVisibleCondition,
  bothConditions,
} from '../data/loaders';
import { credentialStatusCondition } from '../data/credentials';
import { childConnection } from '../data/pagination';
import { developerMutation } from '../services/profile';
import { requireOrganizationMember } from '../services/authorize';
import { rotateCredential, type RotateResult } from '../services/credential-rotation';
import { revealCredentialSecret, revokeCredential, type RevealResult } from '../services/credentials';
import { serviceOps } from '../../../common/ops';
import {
  CredentialConnection,
  RevealCredentialSecretInput,
  RevealCredentialSecretPayload,
  RevokeCredentialInput,
  RevokeCredentialPayload,
  RotateCredentialInput,
  RotateCredentialPayload,
} from './credential.types';

@Resolver(() => Credential)
export class CredentialResolver {
  @Query(() => Credential, {
    nullable: true,
    description:
      'One credential by id. Members of its organization and portal admins get it; everyone else gets null, whether or not it exists.',
  })
  credential(
    @Arg('id', () => ID, { description: 'Credential id (a UUID; anything else is BAD_USER_INPUT).' }) id: string,
    @Ctx() context: SubgraphContext,
  ): Promise<Credential | null> {
    return loadVisibleCredential(context, id);
  }

  @FieldResolver(() => App, { description: 'The app the credential belongs to.' })
  async app(@Root() credential: Credential, @Ctx() context: SubgraphContext): Promise<App> {
    return (await appByIdLoader(context, 'credential').load(credential.appId))!;
  }

  @FieldResolver(() => Organization, { description: 'The organization of the app.' })
  async organization(@Root() credential: Credential, @Ctx() context: SubgraphContext): Promise<Organization> {
    return (await organizationByIdLoader(context, 'credential').load(credential.organizationId))!;
  }

  @FieldResolver(() => PlanRef, { description: 'The plan whose limits apply (select its name, quota and rate limit through the gateway).' })
  plan(@Root() credential: Credential): PlanRef {
    return planRef(credential.planId);
  }

  @FieldResolver(() => [ProductRef], { description: 'The products the credential grants.' })
  products(@Root() credential: Credential): ProductRef[] {
    return productRefs(credential.productIds);
  }

  @FieldResolver(() => CredentialStatus, {
    description: 'ACTIVE, REVOKED (revoked, or past a rotation’s `revokesAt`) or EXPIRED (past `expiresAt`).',
  })
  status(@Root() credential: Credential, @Ctx() context: SubgraphContext): CredentialStatus {
    return effectiveCredentialStatus(credential, requestTime(context));
  }

  @FieldResolver(() => Credential, {
    nullable: true,
    description: 'The credential this one replaced by a rotation; null when it was issued by an approval.',
  })
  replaces(@Root() credential: Credential, @Ctx() context: SubgraphContext): Promise<Credential | null> | null {
    return credential.replacesCredentialId ? credentialByIdLoader(context, 'replaces').load(credential.replacesCredentialId) : null;
  }

  @FieldResolver(() => Credential, {
    nullable: true,
    description: 'The credential that replaced this one by a rotation; null unless rotated.',
  })
  replacedBy(@Root() credential: Credential, @Ctx() context: SubgraphContext): Promise<Credential | null> {
    return replacedByLoader(context).load(credential.id);
  }

  @FieldResolver(() => [KeyValue], {
    description:
      'Metadata the key carries, by key: the plan’s credential metadata plus DeveloperID (subject of the requesting member), ApplicationID and OrganisationID.',
  })
  metadata(@Root() credential: Credential): KeyValue[] {
    return Object.entries(credential.metadata ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => keyValue(key, String(value)));
  }

  @Mutation(() => RevealCredentialSecretPayload, {
    description:
      "Shows the secret of a credential issued by a manual approval, once. Members (any role) of the credential's organization only — never the portal admin who approved it (FORBIDDEN even if a member), and no other portal admin who is not a member (FORBIDDEN). A second reveal, or a reveal after the secret was shown in the `requestAccess` or `rotateCredential` result, is ALREADY_REVEALED; REVOKED or EXPIRED credentials are CREDENTIAL_NOT_ACTIVE.",
  })
  async revealCredentialSecret(
    @Arg('input', () => RevealCredentialSecretInput, { description: 'The credential.' }) input: RevealCredentialSecretInput,
    @Ctx() context: SubgraphContext,
  ): Promise<RevealResult> {
    return developerMutation<RevealResult>(
      context,
      (em) => revealCredentialSecret(serviceOps(context, em), context.caller, input),
      () => ({ credential: null, secret: null }),
    );
  }

  @Mutation(() => RotateCredentialPayload, {
    description:
      "Replaces an ACTIVE credential with a new one (same app, plan, products and metadata; new secret shown once in the result). The old one keeps working for `gracePeriodSeconds`, then is revoked (`revokesAt`). Refused with CREDENTIAL_NOT_ACTIVE for REVOKED or EXPIRED credentials and ALREADY_ROTATED for a credential rotated already (rotate its successor). Members (any role) of the credential's ACTIVE organization only.",
  })
  async rotateCredential(
    @Arg('input', () => RotateCredentialInput, { description: 'The credential and the grace period.' }) input: RotateCredentialInput,
    @Ctx() context: SubgraphContext,
  ): Promise<RotateResult> {
    return developerMutation<RotateResult>(
      context,
      (em) => rotateCredential(serviceOps(context, em), context.caller, input),
      () => ({ credential: null, secret: null, replacedCredential: null }),
    );
  }

  @Mutation(() => RevokeCredentialPayload, {
    description:
      "Revokes a credential now: it stops working and its Tyk key is deleted. Revoking it again changes nothing. Members (any role) of the credential's organization and portal admins (any organization).",
  })
  async revokeCredential(
    @Arg('input', () => RevokeCredentialInput, { description: 'The credential.' }) input: RevokeCredentialInput,
    @Ctx() context: SubgraphContext,
  ): Promise<{ credential: Credential | null }> {
    return developerMutation<{ credential: Credential | null }>(
      context,
      (em) => revokeCredential(serviceOps(context, em), context.caller, input),
      () => ({ credential: null }),
    );
  }
}

/** `Organization.credentials` and `App.credentials`. */
@Resolver(() => Organization)
export class OrganizationCredentialsResolver {
  @FieldResolver(() => CredentialConnection, {
    nullable: true,
    description:
      "The credentials of the organization's apps the caller may see (`App.visibility`), oldest first. Readable by its members (any role) and portal admins; others get a FORBIDDEN error on this field.",
  })
  async credentials(
    @Root() organization: Organization,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('status', () => [CredentialStatus], { nullable: true, description: 'Only credentials with one of these statuses (default: all).' })
    status: CredentialStatus[] | null,
    @Ctx() context: SubgraphContext,
  ) {
    await requireOrganizationMember(context, organization.id);
    const where = bothConditions(credentialStatusCondition(status, requestTime(context)), appVisibleCondition(context, 't.app_id'));
    return childConnection<Credential>(
      context,
      { entity: Credential, table: 'developers.credential', parentColumn: 'organization_id', where },
      organization.id,
      page,
    );
  }
}

@Resolver(() => App)
export class AppCredentialsResolver {
  @FieldResolver(() => CredentialConnection, {
    description: "The app's credentials, oldest first (whoever can see the app: its organization's members and portal admins).",
  })
  async credentials(
    @Root() app: App,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('status', () => [CredentialStatus], { nullable: true, description: 'Only credentials with one of these statuses (default: all).' })
    status: CredentialStatus[] | null,
    @Ctx() context: SubgraphContext,
  ) {
    const where = credentialStatusCondition(status, requestTime(context));
    return childConnection<Credential>(
      context,
      { entity: Credential, table: 'developers.credential', parentColumn: 'app_id', where },
      app.id,
      page,
    );
  }
}
