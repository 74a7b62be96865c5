/**
 * Who a usage record belongs to, read from the other subgraphs' published views: the key hash in
 * `provider.credential_key_contract` (then `developers.credential_contract` for app and
 * organization), plans and products by their `pol-<policyId>` tags in
 * `provider.policy_link_contract` (the credential's own plan and products when tags are missing),
 * and the products that serve the record's API in `products.product_contract`. `readBatchContext`
 * reads all of these, the plans records may count against (`plans.plan_contract`) and the
 * organizations' alert rules in the statement that takes the ingest lock.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { policyIdsOf, UNAUTHENTICATED_KEY, type UsageRecord } from '../services/records';
import { bulk, pgArray } from '../../../common/sql';
import { NIL_UUID } from '../../../common/ids';
import { planContractSelectList, type PlanContractRow } from '../../../common/contracts/plans';
import type { RollupScope } from '../data/rollups';

interface KeyRow {
  key_hash: string;
  credential_id: string;
  key_plan_id: string | null;
  product_ids: string[] | null;
  status: string;
  /** `issued_at` in ms since the epoch. */
  issued_ms: number | null;
  app_id: string | null;
  organization_id: string | null;
  plan_id: string | null;
}

export interface Attribution {
  credentialId: string | null;
  appId: string | null;
  organizationId: string | null;
  planId: string | null;
  productIds: string[];
  /** The rollup rows a record of this attribution counts in (besides time). */
  scopes: [RollupScope, string][];
}

/** Attributions compared per key before falling back to a text key per record. */
const MAX_VARIANTS = 8;

interface Variant {
  apiId: string;
  tags: readonly string[];
  attribution: Attribution;
}

function findVariant(variants: readonly Variant[], record: UsageRecord): Attribution | undefined {
  for (const variant of variants) {
    if (variant.apiId !== record.apiId || variant.tags.length !== record.tags.length) continue;
    let same = true;
    for (let i = 0; i < record.tags.length && same; i++) same = variant.tags[i] === record.tags[i];
    if (same) return variant.attribution;
  }
  return undefined;
}

/** The attribution of a record of this key (found or not), API and tags. */
function attributionOf(
  record: UsageRecord,
  key: KeyRow | undefined,
  planByPolicy: Map<string, string>,
  productByPolicy: Map<string, string>,
  apisByProduct: Map<string, string[]>,
): Attribution {
  const tagged = policyIdsOf(record.tags);
  const tagPlan = tagged.map((id) => planByPolicy.get(id)).find((id): id is string => Boolean(id)) ?? null;
  const candidates = [
    ...new Set([...tagged.map((id) => productByPolicy.get(id)).filter((id): id is string => Boolean(id)), ...(key?.product_ids ?? [])]),
  ];
  const serving = record.apiId ? candidates.filter((id) => apisByProduct.get(id)?.includes(record.apiId)) : [];
  const a: Omit<Attribution, 'scopes'> = {
    credentialId: key?.credential_id ?? null,
    appId: key?.app_id ?? null,
    organizationId: key?.organization_id ?? null,
    // The plan Tyk enforced (tag) over the credential's current plan.
    planId: tagPlan ?? key?.plan_id ?? key?.key_plan_id ?? null,
    productIds: serving.length ? serving : candidates,
  };
  const scopes: [RollupScope, string][] = [a.credentialId ? ['CREDENTIAL', a.credentialId] : ['UNMATCHED', NIL_UUID]];
  if (a.appId) scopes.push(['APP', a.appId]);
  if (a.organizationId) scopes.push(['ORGANIZATION', a.organizationId]);
  if (a.planId) scopes.push(['PLAN', a.planId]);
  for (const productId of a.productIds) scopes.push(['PRODUCT', productId]);
  return { ...a, scopes };
}

/** The plan columns the ingest needs (quota counters). */
export type IngestPlanRow = Pick<PlanContractRow, 'id' | 'quota_scope' | 'quota_requests' | 'quota_period_seconds'>;

/** A row of `usage.quota_alert_rule`: thresholds and pacing, read once per batch. */
export interface AlertRuleRow {
  organization_id: string;
  app_id: string | null;
  thresholds: number[];
  cool_down_seconds: number;
  rearm_margin_percent: number;
  channels: Record<string, string[]> | null;
}

/** What one ingest batch needs to know besides its records, read in one statement. */
export interface BatchContext {
  attribution: Map<UsageRecord, Attribution>;
  /** The plans records may count against (tagged, the keys' and their credentials' plans), by id. */
  plans: Map<string, IngestPlanRow>;
  /** Alert rules of the organizations of the batch's keys (thresholds and pacing). */
  alertRules: AlertRuleRow[];
}

interface ContextRow {
  keys: KeyRow[];
  links: { kind: string; subject_id: string; policy_id: string }[];
  products: { id: string; tyk_api_ids: string[] | null }[];
  plans: IngestPlanRow[];
  rules: AlertRuleRow[];
}

/**
 * Takes the transaction-scoped advisory lock `lockKey` and reads, in the same statement, the
 * batch's keys (`provider.credential_key_contract` with `developers.credential_contract`), the
 * policy links of its tags, the products of both with their APIs, the plans records may count
 * against and the alert rules of the keys' organizations. None of these is what the lock guards
 * (the usage tables it serialises are read in later statements, whose snapshots come after it),
 * so one round trip does what took five. Each list is one `json_agg` column.
 */
export async function readBatchContext(tx: EntityManager, records: readonly UsageRecord[], lockKey: string): Promise<BatchContext> {
  const keySet = new Set<string>();
  const tagSet = new Set<string>();
  for (const record of records) {
    keySet.add(record.keyHash);
    for (const tag of record.tags) tagSet.add(tag);
  }
  keySet.delete(UNAUTHENTICATED_KEY);
  const keyHashes = [...keySet];
  const policyIds = [...new Set(policyIdsOf([...tagSet]))];
  const json = (from: string) => `(select coalesce(json_agg(x), '[]') from (${from}) x)`;
  const [row] = await bulk<ContextRow>(
    tx,
    `with k as (
       select k.key_hash, k.credential_id::text as credential_id, k.plan_id::text as key_plan_id, k.product_ids::text[] as product_ids,
              k.status, (extract(epoch from k.issued_at) * 1000)::float8 as issued_ms,
              c.app_id::text as app_id, c.organization_id::text as organization_id, c.plan_id::text as plan_id
         from provider.credential_key_contract k
         left join developers.credential_contract c on c.id = k.credential_id
        where k.key_hash = any(?::text[])),
     l as (
       select kind, subject_id::text as subject_id, policy_id from provider.policy_link_contract where policy_id = any(?::text[]))
     select pg_advisory_xact_lock(hashtext(?))::text as locked,
            ${json('select * from k')} as keys,
            ${json('select * from l')} as links,
            ${json(`select id::text as id, tyk_api_ids from products.product_contract
                     where id in (select subject_id::uuid from l where kind <> 'PLAN' union all select unnest(product_ids)::uuid from k)`)} as products,
            ${json(`select ${planContractSelectList(['quota_scope', 'quota_requests', 'quota_period_seconds'])} from plans.plan_contract
                     where id in (select subject_id::uuid from l where kind = 'PLAN'
                                  union all select plan_id::uuid from k union all select key_plan_id::uuid from k)`)} as plans,
            ${json(`select organization_id::text as organization_id, app_id::text as app_id, thresholds, cool_down_seconds,
                           rearm_margin_percent, channels
                      from usage.quota_alert_rule where organization_id in (select organization_id::uuid from k)`)} as rules`,
    [pgArray(keyHashes), pgArray(policyIds), lockKey],
  );
  const attribution = attributeWith(records, row.keys, row.links, row.products);
  return { attribution, plans: new Map(row.plans.map((plan) => [plan.id, plan])), alertRules: row.rules };
}

/** Credential, app, organization, plan and products of each record, from the rows `readBatchContext` read. */
function attributeWith(
  records: readonly UsageRecord[],
  keyRows: readonly KeyRow[],
  links: ContextRow['links'],
  products: ContextRow['products'],
): Map<UsageRecord, Attribution> {
  // One key hash could exist in two providers: prefer the live key, then the newest.
  const keys = new Map<string, KeyRow>();
  for (const row of keyRows) {
    const current = keys.get(row.key_hash);
    const better =
      !current ||
      (row.status === 'ACTIVE' && current.status !== 'ACTIVE') ||
      (row.status === current.status && (row.issued_ms ?? 0) > (current.issued_ms ?? 0));
    if (better) keys.set(row.key_hash, row);
  }
  const planByPolicy = new Map<string, string>();
  const productByPolicy = new Map<string, string>();
  for (const link of links) (link.kind === 'PLAN' ? planByPolicy : productByPolicy).set(link.policy_id, link.subject_id);

  const apisByProduct = new Map<string, string[]>();
  for (const row of products) apisByProduct.set(row.id, row.tyk_api_ids ?? []);
  // Records of one key, API and tag set share one Attribution object (grouping below is by identity).
  // Found by comparing the few variants seen per key (no string built per record); a key with
  // unusually many variants falls back to a text key per record.
  const variantsOf = new Map<string, Variant[]>();
  const shared = new Map<string, Attribution>();
  const out = new Map<UsageRecord, Attribution>();
  for (const record of records) {
    let variants = variantsOf.get(record.keyHash);
    if (!variants) variantsOf.set(record.keyHash, (variants = []));
    let attribution = findVariant(variants, record);
    if (!attribution) {
      const memo = variants.length < MAX_VARIANTS ? null : `${record.keyHash}\u0000${record.apiId}\u0000${record.tags.join('\u0000')}`;
      attribution = memo === null ? undefined : shared.get(memo);
      if (!attribution) {
        attribution = attributionOf(record, keys.get(record.keyHash), planByPolicy, productByPolicy, apisByProduct);
        if (memo === null) variants.push({ apiId: record.apiId, tags: record.tags, attribution });
        else shared.set(memo, attribution);
      }
    }
    out.set(record, attribution);
  }
  return out;
}
