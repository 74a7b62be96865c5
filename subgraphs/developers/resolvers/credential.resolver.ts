import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { KeyValue, keyValue } from '../../../common/key-value';
import { UserError, forbidden } from '../../../common/errors';
import { Validation } from '../../../common/mutation';
import { connectionType, PageArgs } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { App } from '../entities/app';
import { Credential, CredentialKind, CredentialStatus, effectiveCredentialStatus } from '../entities/credential';
import { Organization } from '../entities/organization';
import { OrganizationRole } from '../entities/organization-member';
import { PlanRef, planRef, ProductRef, productRefs } from '../entities/refs';
import { isUuid } from '../../../common/ids';
import {
  organizationByIdLoader,
  requestTime,
  appByIdLoader,
  credentialByIdLoader,
  loadVisibleCredential,
  replacedByLoader,
} from '../data/loaders';
import { requireOrganizationMember, notFoundError, requireActive, isMember } from '../services/authorize';
import { issueCredential, revokeNow, runAtFor, type Ops } from '../grants';
import { refusal } from '../../../common/errors';
import { AccessRequestEventType, emitAccessEvent } from '../events';
import { loadPlanOffer, type PlanOffer } from '../contracts/offer';
import { childConnection, type SqlCondition } from '../pagination';
import { payloadType } from '../../../common/payloads';
import { developerMutation } from '../profile';
import { openSecret, sealSecret } from '../secrets';
import { DEFAULT_GRACE_PERIOD_SECONDS, MAX_GRACE_PERIOD_SECONDS, ROTATION_REPLAY_SECRET_MS } from '../settings';
import {
  checkIdempotencyKey,
  idempotencyKeyDescription,
  idempotentCall,
  requestHash,
  runIdempotent,
  type FirstResult,
} from '../../../common/idempotency';

export const CredentialConnection = connectionType(Credential, 'Credential', 'credential');

@InputType({ description: 'Which credential’s secret to show (once).' })
export class RevealCredentialSecretInput {
  @Field(() => ID, { description: 'Credential id.' })
  id!: string;
}

@InputType({ description: 'Which credential to rotate, and how long its old secret keeps working.' })
export class RotateCredentialInput {
  @Field(() => ID, { description: 'Credential id (ACTIVE, not rotated already).' })
  id!: string;

  @Field(() => Int, {
    nullable: true,
    description: `Seconds the old secret keeps working after the rotation, 0–${MAX_GRACE_PERIOD_SECONDS} (30 days); default ${DEFAULT_GRACE_PERIOD_SECONDS} (1 day). 0 revokes it at once.`,
  })
  gracePeriodSeconds?: number | null;

  @Field(() => String, {
    nullable: true,
    description: idempotencyKeyDescription(
      'the same new and replaced credentials, and the same `secret` for 1 hour while the new credential is ACTIVE and not rotated again (null after that: rotate again if it was lost)',
    ),
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Which credential to revoke.' })
export class RevokeCredentialInput {
  @Field(() => ID, { description: 'Credential id.' })
  id!: string;
}

@ObjectType({ description: 'Result of `revealCredentialSecret`.' })
export class RevealCredentialSecretPayload {
  @Field(() => Credential, { nullable: true, description: 'The credential; null when `errors` is not empty.' })
  credential!: Credential | null;

  @Field(() => String, {
    nullable: true,
    description: 'The secret (API key), shown this once and never again — store it now. Null when `errors` is not empty.',
  })
  secret!: string | null;

  @Field(() => [UserError], { description: 'Why nothing was shown; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `rotateCredential`.' })
export class RotateCredentialPayload {
  @Field(() => Credential, {
    nullable: true,
    description: 'The new credential (same app, plan, products and metadata); null when `errors` is not empty.',
  })
  credential!: Credential | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The new secret (API key), shown in this result only — store it now. A retry with the same `idempotencyKey` by the same caller within 1 hour gets it again (the replay of a lost response), while the new credential is ACTIVE and not rotated again; never otherwise. Null for OAuth2 clients (a member reveals their secret with `revealCredentialSecret` once they are registered) and when `errors` is not empty.',
  })
  secret!: string | null;

  @Field(() => Credential, {
    nullable: true,
    description: 'The old credential, which works until its `revokesAt`; null when `errors` is not empty.',
  })
  replacedCredential!: Credential | null;

  @Field(() => [UserError], { description: 'Why nothing changed; empty on success.' })
  errors!: UserError[];
}

export const RevokeCredentialPayload = payloadType(
  'RevokeCredentialPayload',
  'revokeCredential',
  'credential',
  Credential,
  'The revoked credential',
);

type RevealResult = { credential: Credential | null; secret: string | null };
type RotateResult = RevealResult & { replacedCredential: Credential | null };

/** SQL for "effective status in …" on `developers.credential t` at `now`. */
export function credentialStatusCondition(statuses: CredentialStatus[] | null | undefined, now: Date): SqlCondition | undefined {
  const unique = [...new Set(statuses ?? [])].sort();
  if (!unique.length) return undefined;
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const status of unique) {
    if (status === CredentialStatus.REVOKED) {
      parts.push(`(t.status = 'REVOKED' or t.revokes_at <= ?)`);
      params.push(now);
    } else if (status === CredentialStatus.EXPIRED) {
      parts.push(`(t.status = 'ACTIVE' and (t.revokes_at is null or t.revokes_at > ?) and t.expires_at <= ?)`);
      params.push(now, now);
    } else {
      parts.push(`(t.status = 'ACTIVE' and (t.revokes_at is null or t.revokes_at > ?) and (t.expires_at is null or t.expires_at > ?))`);
      params.push(now, now);
    }
  }
  return { key: `${unique.join(',')}@${now.toISOString()}`, sql: parts.join(' or '), params };
}

/**
 * Loads and locks a credential for a mutation. Members (any role) of its organization pass; with
 * `admins`, portal admins too (a missing id is then a NOT_FOUND UserError for them). Everyone else
 * gets FORBIDDEN, whether or not the id exists.
 */
async function authorizeCredential(
  context: SubgraphContext,
  em: EntityManager,
  id: string,
  admins: boolean,
): Promise<{ credential: Credential; member: boolean }> {
  const subject = context.caller.requireAuthenticated();
  const refusal = admins
    ? forbidden("Only members of the credential's organization and portal admins may do this.", OrganizationRole.MEMBER)
    : forbidden("Only members of the credential's organization may do this.", OrganizationRole.MEMBER);
  const found = isUuid(id) ? await em.findOne(Credential, { id: id.toLowerCase() }) : null;
  const member = found ? await isMember(em, found.organizationId, subject) : false;
  if (!member && !(admins && context.caller.isPortalAdmin)) throw refusal;
  if (!found) throw notFoundError('input.id', 'credential');
  const credential = await em.findOneOrFail(Credential, { id: found.id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  return { credential, member };
}

/** The plan settings a rotation needs; an old credential's own lifetime if the plan is gone. */
function planForRotation(plan: PlanOffer | null, old: Credential): PlanOffer {
  if (plan) return plan;
  const lifetime = old.expiresAt ? Math.round((old.expiresAt.getTime() - old.createdAt.getTime()) / 1000) : null;
  return {
    id: old.planId,
    name: '',
    status: 'UNKNOWN',
    catalogIds: [],
    autoApprove: false,
    accessRequestAllowance: null,
    accessRequestRenewalSeconds: null,
    keyExpiresAfterSeconds: lifetime,
    credentialMetadata: {},
    credentialKind: old.kind,
  };
}

/** Replaces an ACTIVE, not yet rotated credential with a new one (the work of `rotateCredential`). */
async function rotate(
  em: EntityManager,
  context: SubgraphContext,
  old: Credential,
  grace: number,
  subject: string,
  now: Date,
): Promise<RotateResult> {
  requireActive(await em.findOneOrFail(Organization, { id: old.organizationId }, { refresh: true }));
  if (effectiveCredentialStatus(old, now) !== CredentialStatus.ACTIVE) {
    throw refusal('CREDENTIAL_NOT_ACTIVE', 'input.id', 'Only ACTIVE credentials can be rotated: request access again.');
  }
  if (old.revokesAt !== null) {
    throw refusal('ALREADY_ROTATED', 'input.id', 'This credential was rotated already: rotate the credential that replaced it.');
  }
  const ops: Ops = { em, pubsub: context.pubsub, now, env: context.env };
  const plan = planForRotation(await loadPlanOffer(em, old.planId), old);
  const { credential, secret } = await issueCredential(ops, {
    appId: old.appId,
    organizationId: old.organizationId,
    plan,
    productIds: old.productIds,
    requestedBy: old.requestedBy,
    approvedBy: null,
    createdBy: subject,
    accessRequestId: old.accessRequestId,
    revealable: false,
    replaces: old,
    kind: old.kind,
  });
  const revokesAt = new Date(now.getTime() + grace * 1000);
  old.revokesAt = revokesAt;
  old.revealSecretEncrypted = null;
  old.version += 1;
  old.updatedAt = now;
  await em.flush();
  const runAt = runAtFor(revokesAt, now);
  await enqueueJob(em, JOB_TASKS.revokeKey, { credentialId: old.id }, { jobKey: `revoke:${old.id}`, runAt });
  await enqueueJob(em, JOB_TASKS.credentialRevoked, { credentialId: old.id }, { jobKey: `credential-revoked:${old.id}`, runAt });
  await emitAccessEvent(context.pubsub, em, {
    type: AccessRequestEventType.CREDENTIAL_ROTATED,
    organizationId: credential.organizationId,
    accessRequestId: credential.accessRequestId,
    credentialId: credential.id,
    at: now,
  });
  return { credential, secret, replacedCredential: old };
}

/**
 * The first result of a rotation, for a retry with its idempotency key: the same new and replaced
 * credentials, and the new secret again while the replay window lasts and the new credential is
 * still ACTIVE and not rotated again (a secret that no longer works, or was replaced, is not shown).
 */
async function replayRotation(em: EntityManager, context: SubgraphContext, first: FirstResult, now: Date): Promise<RotateResult> {
  const credential = await em.findOneOrFail(Credential, { id: first.resultId }, { refresh: true });
  const replacedCredential = credential.replacesCredentialId
    ? await em.findOne(Credential, { id: credential.replacesCredentialId }, { refresh: true })
    : null;
  const showable =
    first.resultSecretEncrypted !== null &&
    now.getTime() - first.createdAt.getTime() < ROTATION_REPLAY_SECRET_MS &&
    effectiveCredentialStatus(credential, now) === CredentialStatus.ACTIVE &&
    credential.revokesAt === null;
  return { credential, secret: showable ? openSecret(first.resultSecretEncrypted!, context.env) : null, replacedCredential };
}

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
    const subject = context.caller.requireAuthenticated();
    return developerMutation<RevealResult>(
      context,
      async (em) => {
        const now = context.clock.now();
        const { credential } = await authorizeCredential(context, em, input.id, false);
        if (credential.approvedBy !== null && credential.approvedBy === subject) {
          throw forbidden('The portal admin who approved a credential may not see its secret: a member of the organization reveals it.');
        }
        if (effectiveCredentialStatus(credential, now) !== CredentialStatus.ACTIVE) {
          throw refusal(
            'CREDENTIAL_NOT_ACTIVE',
            'input.id',
            'This credential no longer works, so its secret is not shown: request access again.',
          );
        }
        if (credential.kind === CredentialKind.OAUTH_CLIENT && credential.clientId === null && !credential.secretRevealed) {
          throw refusal(
            'NOT_READY',
            'input.id',
            'The OAuth2 client is still being registered at the identity provider: reveal its secret once `clientId` is set (usually within seconds).',
          );
        }
        if (credential.secretRevealed || credential.revealSecretEncrypted === null) {
          throw refusal(
            'ALREADY_REVEALED',
            'input.id',
            'The secret of this credential was shown already and cannot be shown again: rotate the credential to get a new secret.',
          );
        }
        const secret = openSecret(credential.revealSecretEncrypted, context.env);
        credential.revealSecretEncrypted = null;
        credential.secretRevealed = true;
        credential.updatedAt = now;
        await em.flush();
        return { credential, secret };
      },
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
    const subject = context.caller.requireAuthenticated();
    return developerMutation<RotateResult>(
      context,
      async (em) => {
        const now = context.clock.now();
        const grace = input.gracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
        const { credential: old } = await authorizeCredential(context, em, input.id, false);
        const v = new Validation().check(
          Number.isInteger(grace) && grace >= 0 && grace <= MAX_GRACE_PERIOD_SECONDS,
          'input.gracePeriodSeconds',
          `Give a grace period of 0 to ${MAX_GRACE_PERIOD_SECONDS} seconds (30 days).`,
        );
        checkIdempotencyKey(v, input.idempotencyKey);
        v.done();
        const idempotency = idempotentCall('developers', subject, 'rotateCredential', input.idempotencyKey, {
          id: old.id,
          gracePeriodSeconds: grace,
        });
        return runIdempotent<RotateResult>(em, idempotency, now, {
          replay: (first) => replayRotation(em, context, first, now),
          resultOf: (result) => ({
            id: result.credential!.id,
            secretEncrypted: result.secret === null ? null : sealSecret(result.secret, context.env),
          }),
          run: async () => {
            const result = await rotate(em, context, old, grace, subject, now);
            if (idempotency && result.secret !== null) {
              // The sealed copy the key keeps for replays is erased when the replay window ends.
              await enqueueJob(
                em,
                JOB_TASKS.forgetReplaySecret,
                { subject, operation: idempotency.operation, key: idempotency.key, createdAt: now.toISOString() },
                {
                  jobKey: `replay-secret:${requestHash([subject, idempotency.operation, idempotency.key])}`,
                  runAt: new Date(now.getTime() + ROTATION_REPLAY_SECRET_MS),
                },
              );
            }
            return result;
          },
        });
      },
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
    const subject = context.caller.requireAuthenticated();
    return developerMutation<{ credential: Credential | null }>(
      context,
      async (em) => {
        const { credential } = await authorizeCredential(context, em, input.id, true);
        await revokeNow({ em, pubsub: context.pubsub, now: context.clock.now(), env: context.env }, credential, subject);
        return { credential };
      },
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
      "The credentials of the organization's apps, oldest first. Readable by its members (any role) and portal admins; others get a FORBIDDEN error on this field.",
  })
  async credentials(
    @Root() organization: Organization,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('status', () => [CredentialStatus], { nullable: true, description: 'Only credentials with one of these statuses (default: all).' })
    status: CredentialStatus[] | null,
    @Ctx() context: SubgraphContext,
  ) {
    await requireOrganizationMember(context, organization.id);
    const where = credentialStatusCondition(status, requestTime(context));
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
