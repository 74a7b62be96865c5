import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum SyncStatus {
  PENDING = 'PENDING',
  SYNCED = 'SYNCED',
  FAILED = 'FAILED',
  MISSING = 'MISSING',
}

registerEnumType(SyncStatus, {
  name: 'SyncStatus',
  description: 'Whether the provider (Tyk) enforces the current state of a plan, product or credential.',
  valuesConfig: {
    PENDING: { description: 'Not written to the provider yet (before the first attempt, or while no provider is registered).' },
    SYNCED: { description: 'The provider holds the current state (for archived or deleted things: their policy or key is gone, or kept for live keys).' },
    FAILED: { description: 'The last attempt failed (see `lastError`); it is retried with back-off, nothing is lost.' },
    MISSING: { description: 'The policy or key no longer exists in the provider although the portal expects it (deleted or untagged in Tyk).' },
  },
});

/** How a plan, product or credential stands in its provider. */
@ObjectType({ description: 'How a plan, product or credential stands in the provider (Tyk) that enforces it.' })
export class SyncState {
  @Field(() => SyncStatus, { description: 'PENDING, SYNCED, FAILED or MISSING.' })
  status!: SyncStatus;

  @Field(() => ID, { nullable: true, description: 'The provider that enforces it; null when none is registered (or for callers who are not portal admins).' })
  providerId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Its id in the provider: the Tyk policy id (plans, products) or the first 12 characters of the Tyk key hash (credentials); null when it has none there (or for callers who are not portal admins).',
  })
  externalId!: string | null;

  @Field(() => Int, { description: 'Attempts since the last successful sync, the successful one included (0 before the first attempt).' })
  attempts!: number;

  @Field(() => String, { nullable: true, description: "The provider's message for the last failure; null when the last attempt succeeded (or for callers who are not portal admins)." })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the portal last tried to write it; null before the first attempt.' })
  lastAttemptAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was last written successfully; null if never.' })
  syncedAt!: Date | null;
}

export function syncState(values: Partial<SyncState> & { status: SyncStatus }): SyncState {
  return Object.assign(new SyncState(), { providerId: null, externalId: null, attempts: 0, lastError: null, lastAttemptAt: null, syncedAt: null, ...values });
}
