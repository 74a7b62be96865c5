/**
 * Fixtures of the usage subgraph's database tests (`subgraphs/usage/*.test.ts`). The usage
 * ingest reads the other subgraphs' published views (`developers.credential_contract`,
 * `plans.plan_contract`, `products.product_contract`, `provider.credential_key_contract`,
 * `provider.policy_link_contract`), so the owners' migrations run here (through ORMs that know a
 * placeholder entity, never queried) and fixture rows are written to their tables with raw SQL —
 * test data only; the usage subgraph itself reads nothing but the views.
 */
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { Entity, PrimaryKey } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { MigrationObject } from '@mikro-orm/core';
import { initOrm, migrate } from '../../common/db';
import { createLogger } from '../../common/logger';
import { signForwardedAuth, type Claims } from '../../common/auth';
import { gatewaySharedSecret } from '../../common/config';
import { migrations as developersMigrations } from '../../subgraphs/developers/migrations';
import { migrations as plansMigrations } from '../../subgraphs/plans/migrations';
import { migrations as productsMigrations } from '../../subgraphs/products/migrations';
import { migrations as providerMigrations } from '../../subgraphs/provider/migrations';
import { developer, tokenFor, type Identity } from '../helpers/graphql';
import { unique } from '../helpers/db';

@Entity({ tableName: 'plangraph_usage_migration_anchor' })
class MigrationAnchor {
  @PrimaryKey({ type: 'uuid' })
  id!: string;
}

/** Runs the owners' migrations (idempotent, under their advisory locks). */
export async function migrateOwners(databaseUrl: string): Promise<void> {
  const log = createLogger('usage-fixture', 'warn');
  const owners: [string, MigrationObject[]][] = [
    ['products', productsMigrations],
    ['plans', plansMigrations],
    ['developers', developersMigrations],
    ['provider', providerMigrations],
  ];
  for (const [schema, migrations] of owners) {
    const orm: MikroORM = await initOrm({ schema, databaseUrl, entities: [MigrationAnchor], migrations, log });
    try {
      await migrate(orm, databaseUrl, schema, log);
    } finally {
      await orm.close(true);
    }
  }
}

export interface FixtureOrg {
  id: string;
  admin: Identity;
  member: Identity;
}

export interface FixturePlan {
  id: string;
  policyId: string;
}

export interface FixtureCredential {
  id: string;
  appId: string;
  organizationId: string;
  planId: string;
  keyHash: string;
  productIds: string[];
  policyIds: string[];
}

export class Fixtures {
  constructor(private readonly db: pg.Client) {}

  async organization(): Promise<FixtureOrg> {
    const id = randomUUID();
    const admin = developer();
    const member = developer();
    const slug = unique('org');
    await this.db.query(`insert into developers.organization (id, name, slug, status, created_by) values ($1, $2, $2, 'ACTIVE', $3)`, [
      id,
      slug,
      admin.sub,
    ]);
    await this.db.query(
      `insert into developers.organization_member (id, organization_id, subject, role) values ($1, $2, $3, 'ORG_ADMIN'), ($4, $2, $5, 'MEMBER')`,
      [randomUUID(), id, admin.sub, randomUUID(), member.sub],
    );
    return { id, admin, member };
  }

  async app(organizationId: string): Promise<string> {
    const id = randomUUID();
    await this.db.query(`insert into developers.app (id, organization_id, name, created_by) values ($1, $2, $3, 'fixture')`, [
      id,
      organizationId,
      unique('app'),
    ]);
    return id;
  }

  /** A plan with a quota (`requests` per `periodSeconds`), its Tyk policy link (`pg-plan-<hex>`). */
  async plan(
    options: { requests?: number | null; periodSeconds?: number; scope?: 'CREDENTIAL' | 'APP' | 'ORGANIZATION'; tier?: number } = {},
  ): Promise<FixturePlan> {
    const id = randomUUID();
    const requests = options.requests === undefined ? 10 : options.requests;
    const period = options.periodSeconds ?? 3600;
    const periodName = period === 3600 ? 'HOUR' : period === 86_400 ? 'DAY' : 'CUSTOM';
    await this.db.query(
      `insert into plans.plan (id, name, display_name, quota_requests, quota_period, quota_period_seconds, quota_scope, tier, status)
       values ($1, $2, $2, $3, $4, $5, $6, $7, 'DRAFT')`,
      [
        id,
        unique('plan'),
        requests,
        requests === null ? null : periodName,
        requests === null ? null : period,
        options.scope ?? 'CREDENTIAL',
        options.tier ?? 1,
      ],
    );
    const policyId = `pg-plan-${id.replace(/-/g, '')}`;
    await this.link('PLAN', id, policyId);
    return { id, policyId };
  }

  async product(tykApiIds: string[]): Promise<{ id: string; policyId: string }> {
    const id = randomUUID();
    const slug = unique('product');
    await this.db.query(`insert into products.product (id, slug, name, status, tyk_api_ids) values ($1, $2, $2, 'PUBLISHED', $3)`, [
      id,
      slug,
      tykApiIds,
    ]);
    const policyId = `pg-product-${id.replace(/-/g, '')}`;
    await this.link('PRODUCT', id, policyId);
    return { id, policyId };
  }

  private async link(kind: 'PLAN' | 'PRODUCT', subjectId: string, policyId: string): Promise<void> {
    await this.db.query(
      `insert into provider.policy_link (id, kind, subject_id, policy_id, status, policy_present) values ($1, $2, $3, $4, 'SYNCED', true)`,
      [randomUUID(), kind, subjectId, policyId],
    );
  }

  /** A credential of the app under the plan, with an ACTIVE key (random 16-hex hash, like Tyk's). */
  async credential(
    organizationId: string,
    appId: string,
    plan: FixturePlan,
    products: { id: string; policyId: string }[],
  ): Promise<FixtureCredential> {
    const id = randomUUID();
    const secret = `pgk_${randomUUID()}`;
    const productIds = products.map((p) => p.id);
    await this.db.query(
      `insert into developers.credential (id, app_id, organization_id, plan_id, product_ids, prefix, secret_hash, status, requested_by, created_by, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, 'ACTIVE', 'fixture', 'fixture', now(), now())`,
      [id, appId, organizationId, plan.id, productIds, secret.slice(0, 12), createHash('sha256').update(secret).digest('hex')],
    );
    const keyHash = createHash('sha256').update(secret).digest('hex').slice(0, 16);
    const policyIds = [...products.map((p) => p.policyId), plan.policyId];
    await this.db.query(
      `insert into provider.credential_key (credential_id, key_hash, status, sync_status, plan_id, product_ids, policy_ids, issued_at)
       values ($1, $2, 'ACTIVE', 'SYNCED', $3, $4, $5, now())`,
      [id, keyHash, plan.id, productIds, policyIds],
    );
    return { id, appId, organizationId, planId: plan.id, keyHash, productIds, policyIds };
  }
}

/**
 * Sends analytics records to the usage subgraph's `POST /ingest/tyk` (NDJSON), with the service
 * token Tyk Pump's forwarder would use; `usageUrl` is the subgraph's GraphQL URL.
 */
export async function postAnalytics(usageUrl: string, rows: readonly object[]): Promise<{ status: number; body: any }> {
  const response = await fetch(usageUrl.replace(/\/graphql$/, '/ingest/tyk'), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-ndjson',
      authorization: `Bearer ${tokenFor({ sub: 'tyk-pump-forwarder', roles: ['service'] })}`,
    },
    body: rows.map((row) => JSON.stringify(row)).join('\n'),
  });
  return { status: response.status, body: await response.json() };
}

/** An analytics record of a credential's request, as the gateway writes it (JSON field names). */
export function analytics(
  credential: { keyHash: string; policyIds: string[] } | null,
  at: Date,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const keyHash = credential?.keyHash ?? '00000000';
  return {
    method: 'GET',
    host: 'upstream.test',
    path: '/forecast',
    raw_path: '/weather/forecast',
    content_length: 0,
    user_agent: 'usage-test',
    response_code: 200,
    api_key: keyHash,
    timestamp: at.toISOString(),
    api_version: 'Default',
    api_name: 'Weather',
    api_id: 'weather',
    org_id: 'tyk-org',
    oauth_id: '',
    request_time: 20,
    ip_address: '127.0.0.1',
    tags: [...(credential?.policyIds ?? []).map((id) => `pol-${id}`), `key-${keyHash}`, 'org-tyk-org', 'api-weather'],
    alias: '',
    track_path: false,
    ...overrides,
  };
}

export interface Collected {
  data: Record<string, any>[];
  errors: unknown[];
  receivedAt: number[];
}

/** graphql-ws straight to a subgraph, claims signed as the gateway signs them. */
export function subscribeTo(
  url: string,
  clients: Client[],
  query: string,
  variables: Record<string, unknown>,
  identity: Identity | null,
  field: string,
): Collected {
  const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
  clients.push(client);
  const state: Collected = { data: [], errors: [], receivedAt: [] };
  client.subscribe(
    {
      query,
      variables,
      extensions: {
        plangraph: signForwardedAuth(gatewaySharedSecret(), (identity ?? null) as Claims | null, { query, variables }, Date.now()),
      },
    },
    {
      next: (result) => {
        if (result.errors) state.errors.push(...result.errors);
        if (result.data) {
          state.data.push((result.data as Record<string, any>)[field]);
          state.receivedAt.push(Date.now());
        }
      },
      error: (error) => state.errors.push(error),
      complete: () => undefined,
    },
  );
  return state;
}
