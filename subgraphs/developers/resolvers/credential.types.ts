/** GraphQL inputs, payloads and the connection of the credential operations. */
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { payloadType } from '../../../common/payloads';
import { connectionType } from '../../../common/relay';
import { Credential } from '../entities/credential';
import { DEFAULT_GRACE_PERIOD_SECONDS, MAX_GRACE_PERIOD_SECONDS } from '../settings';

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
