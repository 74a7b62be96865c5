import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { userError } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { runMutation } from '../../../common/mutation';
import { decodeCursor, encodeCursor, lazy, PageInfo, pageSize } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { importedCountOf, importedPoliciesOf } from '../data/loaders';
import { LinkKind } from '../entities/policy-link';
import { Provider } from '../entities/provider';
import { CredentialRef, PlanRef, ProductRef } from '../entities/refs';
import { SyncState } from '../entities/sync-state';
import type { SyncDeps } from '../services/deps';
import { assignProvider, type AssignProviderResult } from '../services/provider-assignment';
import { runProviderSync } from '../services/provider-sync';
import { credentialSyncState, subjectProvider, subjectSyncState } from '../services/sync-state';
import { ProviderError } from '../tyk/errors';
import {
  AssignProviderInput,
  AssignProviderPayload,
  ImportedPoliciesArgs,
  ImportedPolicyConnection,
  ProviderSyncResult,
  SyncProviderInput,
  SyncProviderPayload,
} from './sync.types';

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
    return runMutation<AssignProviderResult>(
      context,
      (em) => assignProvider(em, input),
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
