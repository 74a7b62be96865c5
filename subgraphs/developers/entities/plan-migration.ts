import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';

export enum PlanMigrationStatus {
  PREVIEW = 'PREVIEW',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
}

registerEnumType(PlanMigrationStatus, {
  name: 'PlanMigrationStatus',
  description: 'Where a bulk plan migration stands. PREVIEW never moves; RUNNING moves once, to COMPLETED.',
  valuesConfig: {
    PREVIEW: {
      description: 'A dry run: what would move (items PENDING) and what could not (items FAILED, with why). Nothing was changed.',
    },
    RUNNING: { description: 'Credentials are being moved, a batch at a time, by a job; the counts show the progress.' },
    COMPLETED: { description: 'Every credential was moved or failed (`completedAt` is set).' },
  },
});

export enum PlanMigrationItemStatus {
  PENDING = 'PENDING',
  MOVED = 'MOVED',
  FAILED = 'FAILED',
}

registerEnumType(PlanMigrationItemStatus, {
  name: 'PlanMigrationItemStatus',
  description: 'What happened to one credential of a bulk plan migration.',
  valuesConfig: {
    PENDING: { description: 'Not moved yet (for a PREVIEW: would be moved).' },
    MOVED: { description: 'Moved to the target plan: same credential, same secret and Tyk key, quota counters kept.' },
    FAILED: { description: 'Not moved (`errorCode`, `errorMessage` say why); the credential stays under its plan.' },
  },
});

/**
 * A bulk move of every ACTIVE credential of one plan to another (table `plan_migration`), or the
 * preview of one. The credentials it covers are its items, fixed when it is created.
 */
@ObjectType({
  description:
    'A bulk plan migration: every ACTIVE credential of one plan moved to another plan, keeping the credential (id, secret, Tyk key, quota counters), or the dry run of one. Portal admins only.',
})
@Directive('@key(fields: "id")')
@Entity({ tableName: 'plan_migration' })
export class PlanMigration {
  [OptionalProps]?: 'id' | 'completedAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Exposed as `PlanMigration.fromPlan`. */
  @Property({ type: 'uuid' })
  fromPlanId!: string;

  /** Exposed as `PlanMigration.toPlan`. */
  @Property({ type: 'uuid' })
  toPlanId!: string;

  @Field(() => PlanMigrationStatus, { description: 'PREVIEW (dry run), RUNNING or COMPLETED.' })
  @Enum({ items: () => PlanMigrationStatus })
  status!: PlanMigrationStatus;

  @Field(() => String, { description: 'Why the subscribers are moved, as the portal admin gave it (also in the audit log).' })
  @Property({ type: 'text' })
  reason!: string;

  @Field(() => String, { description: 'Token subject of the portal admin who started it.' })
  @Property({ type: 'text' })
  startedBy!: string;

  @Field(() => Date, { description: 'When it was created.' })
  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the last credential was moved or failed; null unless COMPLETED.' })
  @Property({ type: 'timestamptz', nullable: true })
  completedAt: Date | null = null;
}

/** One credential of a migration (table `plan_migration_item`). */
@Entity({ tableName: 'plan_migration_item' })
export class PlanMigrationItem {
  [OptionalProps]?: 'errorCode' | 'errorMessage' | 'movedAt';

  @PrimaryKey({ type: 'uuid' })
  migrationId!: string;

  @PrimaryKey({ type: 'uuid' })
  credentialId!: string;

  @Property({ type: 'uuid' })
  organizationId!: string;

  @Property({ type: 'uuid' })
  appId!: string;

  @Enum({ items: () => PlanMigrationItemStatus })
  status!: PlanMigrationItemStatus;

  @Property({ type: 'text', nullable: true })
  errorCode: string | null = null;

  @Property({ type: 'text', nullable: true })
  errorMessage: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  movedAt: Date | null = null;
}
