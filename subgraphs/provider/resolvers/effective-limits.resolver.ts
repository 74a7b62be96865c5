import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { CredentialRef } from '../entities/refs';
import { effectiveLimitsOf } from '../services/effective-limits';
import { EffectiveLimits } from './effective-limits.types';

@Resolver(() => CredentialRef)
export class CredentialEffectiveLimitsResolver {
  @FieldResolver(() => EffectiveLimits, {
    nullable: true,
    description:
      "Why the credential is limited the way it is: the policies merged on its Tyk key, the limits the plan sets, what Tyk counts on, and the live key read from the provider now (at most 3 s; `live` is null with a reason when it cannot be read), checked against each other. Members (any role) of the credential's organization and portal admins may read it; null for everyone else.",
  })
  effectiveLimits(@Root() credential: CredentialRef, @Ctx() context: SubgraphContext): Promise<EffectiveLimits | null> {
    return effectiveLimitsOf(context, credential.id);
  }
}
