import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { PageArgs } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { serviceOps } from '../../../common/ops';
import { Credential } from '../entities/credential';
import { QuotaBoost } from '../entities/quota-boost';
import { childConnection } from '../data/pagination';
import { loadVisibleCredential } from '../data/loaders';
import { developerMutation } from '../services/profile';
import { grantQuotaBoost, revokeQuotaBoost, type BoostResult } from '../services/quota-boosts';
import {
  GrantQuotaBoostInput,
  GrantQuotaBoostPayload,
  QuotaBoostConnection,
  RevokeQuotaBoostInput,
  RevokeQuotaBoostPayload,
} from './quota-boost.types';

@Resolver(() => QuotaBoost)
export class QuotaBoostResolver {
  @Mutation(() => GrantQuotaBoostPayload, {
    description: [
      'Grants a credential extra quota and/or rate for `durationSeconds`: the provider adds a policy with the boosted limits to its Tyk key (Tyk applies the highest quota and rate of the key’s policies) and takes it off again at `expiresAt` — a scheduled job, so a restart does not lose it — without resetting the key’s counters.',
      'Portal admins (any credential) and ORG_ADMINs of the credential’s organization within the plan’s `boostAllowance` (extra percent, longest boost, boosts per window: BOOST_NOT_ALLOWED, BOOST_LIMIT_REACHED with `retryAfter`; a plan without one: portal admins only). Everyone else: FORBIDDEN.',
      'One ACTIVE boost per credential (BOOST_ACTIVE); NOTHING_TO_BOOST for a limit the plan does not have; CREDENTIAL_NOT_ACTIVE for revoked, expired or rotated-out credentials. Publishes QUOTA_BOOST_GRANTED.',
    ].join(' '),
  })
  async grantQuotaBoost(
    @Arg('input', () => GrantQuotaBoostInput, { description: 'The credential, the extra limits, the duration and why.' })
    input: GrantQuotaBoostInput,
    @Ctx() context: SubgraphContext,
  ): Promise<BoostResult> {
    return developerMutation<BoostResult>(
      context,
      (em) => grantQuotaBoost(serviceOps(context, em), context.caller, input),
      () => ({ quotaBoost: null }),
      {
        uniqueFields: {
          quota_boost_one_active_idx: { field: 'input.credentialId', message: 'The credential has an ACTIVE boost already.' },
        },
      },
    );
  }

  @Mutation(() => RevokeQuotaBoostPayload, {
    description:
      'Ends an ACTIVE quota boost now: the provider takes its policy off the key (counters are not reset). Revoking a boost that ended already returns it unchanged. Portal admins and ORG_ADMINs of the credential’s organization; everyone else: FORBIDDEN. Publishes QUOTA_BOOST_REVOKED.',
  })
  async revokeQuotaBoost(
    @Arg('input', () => RevokeQuotaBoostInput, { description: 'The boost.' }) input: RevokeQuotaBoostInput,
    @Ctx() context: SubgraphContext,
  ): Promise<BoostResult> {
    return developerMutation<BoostResult>(
      context,
      (em) => revokeQuotaBoost(serviceOps(context, em), context.caller, input),
      () => ({ quotaBoost: null }),
    );
  }

  @FieldResolver(() => Credential, { nullable: true, description: 'The boosted credential (null when the caller may not see it).' })
  credential(@Root() boost: QuotaBoost, @Ctx() context: SubgraphContext): Promise<Credential | null> {
    return loadVisibleCredential(context, boost.credentialId);
  }
}

/** `Credential.quotaBoosts`. */
@Resolver(() => Credential)
export class CredentialQuotaBoostsResolver {
  @FieldResolver(() => QuotaBoostConnection, {
    description:
      'The credential’s quota boosts, oldest first (ACTIVE, EXPIRED and REVOKED): whoever may read the credential (members of its organization who may see its app, portal admins).',
  })
  quotaBoosts(@Root() credential: Credential, @Args(() => PageArgs) page: PageArgs, @Ctx() context: SubgraphContext) {
    return childConnection<QuotaBoost>(
      context,
      { entity: QuotaBoost, table: 'developers.quota_boost', parentColumn: 'credential_id' },
      credential.id,
      page,
    );
  }
}
