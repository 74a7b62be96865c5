/** GraphQL inputs, payloads and the connection of the upgrade-offer operations. */
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { connectionType } from '../../../common/relay';
import { AccessRequest } from '../entities/access-request';
import { UpgradeOffer } from '../entities/upgrade-offer';

export const UpgradeOfferConnection = connectionType(UpgradeOffer, 'UpgradeOffer', 'upgrade offer');

@InputType({ description: 'The upgrade offer to accept.' })
export class AcceptUpgradeOfferInput {
  @Field(() => ID, { description: 'Upgrade offer id (OPEN).' })
  id!: string;

  @Field(() => String, { nullable: true, description: idempotencyKeyDescription('the same offer and plan-change request') })
  idempotencyKey?: string | null;
}

@InputType({ description: 'The upgrade offer to decline.' })
export class DeclineUpgradeOfferInput {
  @Field(() => ID, { description: 'Upgrade offer id (OPEN).' })
  id!: string;
}

@ObjectType({ description: 'Result of `acceptUpgradeOffer` and `declineUpgradeOffer`.' })
export class UpgradeOfferPayload {
  @Field(() => UpgradeOffer, { nullable: true, description: 'The offer as it is now; null when `errors` is not empty.' })
  upgradeOffer!: UpgradeOffer | null;

  @Field(() => AccessRequest, {
    nullable: true,
    description:
      'acceptUpgradeOffer: the PLAN_CHANGE request it made (APPROVED at once under an auto-approve plan, else PENDING for a portal admin); null otherwise.',
  })
  accessRequest!: AccessRequest | null;

  @Field(() => [UserError], { description: 'Why nothing changed; empty on success.' })
  errors!: UserError[];
}
