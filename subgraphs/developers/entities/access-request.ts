import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { TextArrayType } from '../../../common/db-types';

export enum AccessRequestKind {
  NEW_ACCESS = 'NEW_ACCESS',
  PLAN_CHANGE = 'PLAN_CHANGE',
}

registerEnumType(AccessRequestKind, {
  name: 'AccessRequestKind',
  description: 'What an access request asks for.',
  valuesConfig: {
    NEW_ACCESS: { description: 'A new credential for the app, for the products under the plan.' },
    PLAN_CHANGE: {
      description:
        'The app already has an ACTIVE credential for exactly these products under another plan: approval moves that credential to this plan (same credential and secret, new limits).',
    },
  },
});

export enum AccessRequestStatus {
  PENDING = 'PENDING',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
  CANCELLED = 'CANCELLED',
}

registerEnumType(AccessRequestStatus, {
  name: 'AccessRequestStatus',
  description: 'Lifecycle of an access request. PENDING moves once, to APPROVED, REJECTED or CANCELLED; nothing moves back.',
  valuesConfig: {
    PENDING: { description: 'Waiting for a portal admin to approve or reject it.' },
    APPROVED: {
      description: 'Approved (by a portal admin, or at once for auto-approve plans); `credential` holds the credential it granted.',
    },
    REJECTED: { description: 'A portal admin turned it down; `decisionReason` says why.' },
    CANCELLED: { description: 'Withdrawn by a member of the organization before anyone decided it.' },
  },
});

/**
 * A request for an app to use some products under one plan (table `access_request`). `appId` is
 * null once the app was deleted: such requests are hidden everywhere but still count towards the
 * plan's access-request limit.
 */
@ObjectType({ description: 'A request for an app to use one or more products under one plan, and its decision.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'access_request' })
export class AccessRequest {
  [OptionalProps]?: 'id' | 'status' | 'changeCredentialId' | 'credentialId' | 'decidedBy' | 'decidedAt' | 'decisionReason';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Exposed as `AccessRequest.app` (batched). */
  @Property({ type: 'uuid', nullable: true })
  appId!: string | null;

  /** Exposed as `AccessRequest.organization` (batched). */
  @Property({ type: 'uuid' })
  organizationId!: string;

  /** Exposed as `AccessRequest.plan` (a reference to the plans subgraph). */
  @Property({ type: 'uuid' })
  planId!: string;

  /** Exposed as `AccessRequest.products` (references to the products subgraph), sorted. */
  @Property({ type: TextArrayType, columnType: 'uuid[]' })
  productIds!: string[];

  @Field(() => AccessRequestKind, { description: 'New access, or a change of plan for a credential the app has.' })
  @Enum({ items: () => AccessRequestKind })
  kind!: AccessRequestKind;

  @Field(() => AccessRequestStatus, { description: 'Where the request stands.' })
  @Enum({ items: () => AccessRequestStatus })
  status: AccessRequestStatus = AccessRequestStatus.PENDING;

  /** Token subject of the member who asked; exposed as `requestedBy: Developer`. */
  @Property({ type: 'text' })
  requestedBy!: string;

  /** For PLAN_CHANGE: the credential to move to the new plan. */
  @Property({ type: 'uuid', nullable: true })
  changeCredentialId: string | null = null;

  /** The credential granted (or moved) by the approval; exposed as `AccessRequest.credential`. */
  @Property({ type: 'uuid', nullable: true })
  credentialId: string | null = null;

  /** Who decided (portal admin subject; null for automatic approval); see `AccessRequest.decidedBy`. */
  @Property({ type: 'text', nullable: true })
  decidedBy: string | null = null;

  @Field(() => Date, { nullable: true, description: 'When it was approved, rejected or cancelled; null while PENDING.' })
  @Property({ type: 'timestamptz', nullable: true })
  decidedAt: Date | null = null;

  @Field(() => String, { nullable: true, description: 'Why a portal admin rejected it; null unless REJECTED.' })
  @Property({ type: 'text', nullable: true })
  decisionReason: string | null = null;

  @Field(() => Date, { description: 'When it was requested.' })
  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  /** Last change (internal). */
  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}
