/** GraphQL types of `Credential.recentRefusals`. */
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum RefusalReason {
  RATE_LIMITED = 'RATE_LIMITED',
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  FORBIDDEN = 'FORBIDDEN',
}

registerEnumType(RefusalReason, {
  name: 'RefusalReason',
  description: 'Why Tyk refused a request, as read from its analytics record.',
  valuesConfig: {
    RATE_LIMITED: { description: '429: the rate limit (requests per interval) was reached.' },
    QUOTA_EXCEEDED: { description: '403 after the quota window’s limit had been counted: the quota is used up until the window resets.' },
    FORBIDDEN: {
      description:
        'Any other 403: access denied by the gateway (API or path not allowed for the key, inactive key) or by the upstream API. Analytics do not keep the refusal message, so these are not told apart.',
    },
  },
});

@ObjectType({ description: 'One request Tyk refused (429 or 403), from its analytics record.' })
export class Refusal {
  @Field(() => Date, { description: 'When the gateway received the request.' })
  occurredAt!: Date;

  @Field(() => String, { description: 'HTTP method.' })
  method!: string;

  @Field(() => String, { description: 'Path below the API’s listen path.' })
  path!: string;

  @Field(() => String, { description: 'The Tyk API id the request went to.' })
  apiId!: string;

  @Field(() => Int, { description: 'The HTTP status Tyk answered (429 or 403).' })
  responseCode!: number;

  @Field(() => RefusalReason, { description: 'Why it was refused.' })
  reason!: RefusalReason;
}
