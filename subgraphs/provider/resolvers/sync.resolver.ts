import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { LockMode } from '@mikro-orm/core';
import { UserError, userError } from '../../../common/errors';
import { runMutation, Validation } from '../../../common/mutation';
import { connectionType, decodeCursor, encodeCursor, lazy, PageInfo, pageSize } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { ImportedPolicy, ImportedPolicyState } from '../entities/imported-policy';
import { LinkKind, LinkOrigin, PolicyLink } from '../entities/policy-link';
import { Provider } from '../entities/provider';
import { CredentialRef, PlanRef, planRef, ProductRef, productRef } from '../entities/refs';
import { SyncState, SyncStatus } from '../entities/sync-state';
import { credentialSyncState, importedCountOf, importedPoliciesOf, subjectProvider, subjectSyncState } from '../data/loaders';
import { query } from '../../../common/sql';
import type { SyncDeps } from '../services/deps';
import { defaultPolicyId, liveKeysUse } from '../services/policy-sync';
import { enqueueSubjectSync, runProviderSync } from '../services/provider-sync';
import { ProviderError } from '../tyk/errors';
import { isUuid } from '../../../common/ids';

const SYNC_DESCRIPTION =
  'How the plan stands in the provider that enforces it (its consumption-limit policy): PENDING before the first attempt. Portal admins only; null for everyone else.';

@Resolver(() => PlanRef)
export class PlanSyncResolver {
  @FieldResolver(() => SyncState, { nullable: true, description: SYNC_DESCRIPTION })
  sync(@Root() plan: PlanRef, @Ctx() context: SubgraphContext): Promise<SyncState | null> {
    return subjectSyncState(context, LinkKind.PLAN, plan.id);
  }

  @FieldResolver(() => Provider, {
    nullable: true,
    description:
      'The provider that enforces the plan: the one assigned with `assignProvider`, else the default provider; null when none is registered. Portal admins only; null for everyone else.',
  })
  provider(@Root() plan: PlanRef, @Ctx() context: SubgraphContext): Promise<Provider | null> {
    return subjectProvider(context, LinkKind.PLAN, plan.id);
  }
}

@Resolver(() => ProductRef)
export class ProductSyncResolver {
  @FieldResolver(() => SyncState, {
    nullable: true,
    description:
      'How the product stands in the provider that enforces it (its access policy): PENDING before the first attempt. Portal admins only; null for everyone else.',
  })
  sync(@Root() product: ProductRef, @Ctx() context: SubgraphContext): Promise<SyncState | null> {
    return subjectSyncState(context, LinkKind.PRODUCT, product.id);
  }

  @FieldResolver(() => Provider, {
    nullable: true,
    description:
      'The provider that enforces the product: the one assigned with `assignProvider`, else the default provider; null when none is registered. Portal admins only; null for everyone else.',
  })
  provider(@Root() product: ProductRef, @Ctx() context: SubgraphContext): Promise<Provider | null> {
    return subjectProvider(context, LinkKind.PRODUCT, product.id);
  }
}

@Resolver(() => CredentialRef)
export class CredentialSyncResolver {
  @FieldResolver(() => SyncState, {
    description:
      "Whether the credential's Tyk key exists with its current policies (PENDING until it is created). Whoever may see the credential may read it; provider id, key hash prefix and error messages are shown to portal admins only.",
  })
  sync(@Root() credential: CredentialRef, @Ctx() context: SubgraphContext): Promise<SyncState> {
    return credentialSyncState(context, credential.id);
  }
}

// ------------------------------------------------------------------ Provider.importedPolicies

export const ImportedPolicyConnection = connectionType(ImportedPolicy, 'ImportedPolicy', 'imported policy');

@ArgsType()
class ImportedPoliciesArgs {
  @Field(() => Int, { nullable: true, description: 'How many items to return (1–100, default 20).' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Return items after this cursor (a `pageInfo.endCursor`).' })
  after?: string | null;

  @Field(() => ImportedPolicyState, { nullable: true, description: 'Only policies in this state.' })
  state?: ImportedPolicyState | null;
}

@Resolver(() => Provider)
export class ProviderImportResolver {
  @FieldResolver(() => ImportedPolicyConnection, {
    description: 'Policies found in this provider by `syncProvider` (dashboard-first import), oldest first. Portal admins only.',
  })
  async importedPolicies(
    @Root() provider: Provider,
    @Args(() => ImportedPoliciesArgs) args: ImportedPoliciesArgs,
    @Ctx() context: SubgraphContext,
  ) {
    context.caller.requirePortalAdmin();
    const limit = pageSize(args.first);
    const after = args.after ? decodeCursor(args.after) : null;
    const state = args.state ?? null;
    const page = await importedPoliciesOf(context, provider.id, { limit, after, state });
    const edges = page.rows.map((node) => ({ cursor: encodeCursor(node.createdAt, node.id), node }));
    return {
      edges,
      pageInfo: Object.assign(new PageInfo(), {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: Boolean(after),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      }),
      totalCount: lazy(() => importedCountOf(context, provider.id, state)),
    };
  }
}

// ------------------------------------------------------------------ mutations

@InputType({ description: 'Which plan or product to assign (give exactly one of `planId` and `productId`) and to which provider.' })
export class AssignProviderInput {
  @Field(() => ID, { nullable: true, description: 'The plan whose policy the provider should hold.' })
  planId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The product whose policy the provider should hold.' })
  productId?: string | null;

  @Field(() => ID, { description: 'The provider that should enforce it.' })
  providerId!: string;
}

@ObjectType({ description: 'Result of `assignProvider`.' })
export class AssignProviderPayload {
  @Field(() => PlanRef, {
    nullable: true,
    description: 'The plan, when a plan was assigned; null otherwise or when `errors` is not empty.',
  })
  plan!: PlanRef | null;

  @Field(() => ProductRef, {
    nullable: true,
    description: 'The product, when a product was assigned; null otherwise or when `errors` is not empty.',
  })
  product!: ProductRef | null;

  @Field(() => SyncState, {
    nullable: true,
    description: 'Its sync state right after the assignment (PENDING until the sync job ran); null when `errors` is not empty.',
  })
  sync!: SyncState | null;

  @Field(() => [UserError], { description: 'Why nothing was assigned; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'The provider to sync.' })
export class SyncProviderInput {
  @Field(() => ID, { description: 'Provider id.' })
  id!: string;
}

@ObjectType({ description: 'What one provider sync run found and did.' })
export class ProviderSyncResult {
  @Field(() => Int, { description: 'Policies found for the first time (or again after missing): their plans/products are being created.' })
  newPolicies!: number;

  @Field(() => Int, { description: 'Imported policies renamed in the provider: their plans/products are being renamed.' })
  renamedPolicies!: number;

  @Field(() => Int, { description: 'Imported policies whose limits or APIs changed in the provider: sent to their plans/products again.' })
  updatedPolicies!: number;

  @Field(() => Int, { description: 'Imported policies that disappeared from the provider since the last run (now MISSING).' })
  missingPolicies!: number;

  @Field(() => Int, { description: 'Imported policies whose plan/product now exists (now LINKED).' })
  linkedPolicies!: number;

  @Field(() => Int, { description: 'Imported policies with nothing new.' })
  unchangedPolicies!: number;

  @Field(() => Int, { description: 'Portal-owned policies edited or deleted in the provider, being restored.' })
  repairedPolicies!: number;
}

@ObjectType({ description: 'Result of `syncProvider`.' })
export class SyncProviderPayload {
  @Field(() => Provider, { nullable: true, description: 'The provider (with its health after the run); null when it does not exist.' })
  provider!: Provider | null;

  @Field(() => ProviderSyncResult, { nullable: true, description: 'What the run found and did; null when `errors` is not empty.' })
  result!: ProviderSyncResult | null;

  @Field(() => [UserError], {
    description: 'Why the run failed (e.g. PROVIDER_UNAVAILABLE with the provider’s message); empty on success.',
  })
  errors!: UserError[];
}

function requestDeps(context: SubgraphContext): SyncDeps {
  return { fork: () => context.em.fork(), log: context.log, clock: context.clock, env: context.env };
}

@Resolver()
export class SyncMutationResolver {
  @Mutation(() => AssignProviderPayload, {
    description:
      'Chooses the provider that enforces a plan or product (instead of the default one) and re-syncs it: its policy is written there and removed from the previous provider. Refused while live keys on the previous provider use it (IN_USE) and for plans/products imported from a provider (IMPORTED). Assigning the current provider again just re-syncs. Portal admins only, with a token that asserts MFA (MFA_REQUIRED otherwise).',
  })
  async assignProvider(
    @Arg('input', () => AssignProviderInput, { description: 'The plan or product, and the provider.' }) input: AssignProviderInput,
    @Ctx() context: SubgraphContext,
  ): Promise<AssignProviderPayload> {
    context.caller.requirePortalAdmin();
    context.caller.requireMfa('Assigning a provider');
    return runMutation<{ plan: PlanRef | null; product: ProductRef | null; sync: SyncState | null }>(
      context,
      async (em) => {
        const validation = new Validation();
        const planId = input.planId ?? null;
        const productId = input.productId ?? null;
        validation.check(
          (planId === null) !== (productId === null),
          planId === null ? 'input.planId' : 'input.productId',
          'Give exactly one of `planId` and `productId`.',
        );
        validation.check(isUuid(input.providerId), 'input.providerId', 'Give a provider id (a UUID from `providers`).');
        const subjectId = (planId ?? productId ?? '').toLowerCase();
        const field = planId !== null ? 'input.planId' : 'input.productId';
        validation.check(!subjectId || isUuid(subjectId), field, 'Give a plan or product id (a UUID).');
        validation.done();
        const kind = planId !== null ? LinkKind.PLAN : LinkKind.PRODUCT;
        const what = kind === LinkKind.PLAN ? 'plan' : 'product';

        const provider = await em.findOne(Provider, { id: input.providerId.toLowerCase() });
        if (!provider) validation.fail('input.providerId', 'No provider has this id: pick one from `providers`.', 'NOT_FOUND');
        const view = kind === LinkKind.PLAN ? 'plans.plan_contract' : 'products.product_contract';
        const found = await query(em, `select id from ${view} where id = ?`, [subjectId]);
        if (!found.length) validation.fail(field, `No ${what} has this id.`, 'NOT_FOUND');
        validation.done();

        await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`plangraph:provider:policy:${kind}:${subjectId}`]);
        let link = await em.findOne(PolicyLink, { kind, subjectId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (link?.origin === LinkOrigin.PROVIDER && link.providerId !== provider!.id) {
          validation.fail(
            field,
            `This ${what} was imported from a provider and stays there: its policy belongs to that provider.`,
            'IMPORTED',
          );
        }
        if (
          link?.providerId &&
          link.providerId !== provider!.id &&
          link.policyPresent &&
          (await liveKeysUse(em, link.providerId, link.policyId))
        ) {
          validation.fail(
            field,
            `Live keys on the current provider use this ${what}'s policy: revoke or rotate them first, then assign it again.`,
            'IN_USE',
          );
        }
        validation.done();
        if (!link) link = em.create(PolicyLink, { kind, subjectId, policyId: defaultPolicyId(kind, subjectId) });
        if (link.providerId !== provider!.id) {
          link.providerId = provider!.id;
          link.status = SyncStatus.PENDING;
          link.lastError = null;
        }
        await em.flush();
        await enqueueSubjectSync(em, kind, subjectId);
        const sync = Object.assign(new SyncState(), {
          status: link.status,
          providerId: link.providerId,
          externalId: link.policyId,
          attempts: link.attempts,
          lastError: link.lastError,
          lastAttemptAt: link.lastAttemptAt,
          syncedAt: link.syncedAt,
        });
        return {
          plan: kind === LinkKind.PLAN ? planRef(subjectId) : null,
          product: kind === LinkKind.PRODUCT ? productRef(subjectId) : null,
          sync,
        };
      },
      () => ({ plan: null, product: null, sync: null }),
    );
  }

  @Mutation(() => SyncProviderPayload, {
    description:
      'Syncs a provider now (it also runs every PROVIDER_SYNC_INTERVAL_SECONDS): imports partitioned policies carrying its policy tags (a consumption-limit policy becomes a bare plan, an access policy a bare product; see `Provider.importedPolicies`), detects policies renamed or deleted in Tyk, and restores portal-owned policies edited or deleted in Tyk. Running it twice in a row changes nothing the second time. Portal admins only.',
  })
  async syncProvider(
    @Arg('input', () => SyncProviderInput, { description: 'The provider.' }) input: SyncProviderInput,
    @Ctx() context: SubgraphContext,
  ): Promise<SyncProviderPayload> {
    context.caller.requirePortalAdmin();
    const id = input.id.toLowerCase();
    const notFound = () => ({
      provider: null,
      result: null,
      errors: [userError('NOT_FOUND', 'input.id', 'No provider has this id: pick one from `providers`.')],
    });
    if (!isUuid(id)) return notFound();
    try {
      const counts = await runProviderSync(requestDeps(context), id);
      if (!counts) return notFound();
      const provider = await context.em.fork().findOne(Provider, { id });
      return { provider, result: Object.assign(new ProviderSyncResult(), counts), errors: [] };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      const provider = await context.em.fork().findOne(Provider, { id });
      const status = error.status === null ? 'no answer' : `HTTP ${error.status}`;
      return {
        provider,
        result: null,
        errors: [
          userError(
            'PROVIDER_UNAVAILABLE',
            null,
            `The provider could not be read (${status}): ${error.message}. Check its URL, secret and health, then try again.`,
          ),
        ],
      };
    }
  }
}
