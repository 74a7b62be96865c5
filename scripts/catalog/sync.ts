/**
 * Export, diff and apply of a catalogue (docs/CATALOG-AS-CODE.md). The platform's state is read
 * once and written in the file's canonical form; diff compares that with the file entry by entry
 * (products by slug, catalogs and plans by key) and apply carries out the differences in
 * dependency order: products, catalogs, plans, then the retirements (plans and products archived).
 *
 * What apply owns: the objects its file names (it labels them `managedBy: plangraph-cli`) and
 * every object labelled so. A labelled object the file no longer names is retired the way the
 * domain retires it (archived); objects made by hand are never touched unless the file names them.
 * A plan change the platform refuses with APPROVAL_REQUIRED (PLAN_CHANGE_APPROVAL=required)
 * becomes a change request (`proposePlanChange`) for a second portal admin.
 */
import { createHash } from 'node:crypto';
import {
  canonicalCatalog,
  canonicalCatalogue,
  canonicalPlan,
  canonicalProduct,
  type Catalogue,
  type FileCatalog,
  type FilePlan,
  type FileProduct,
} from './file';
import {
  ApiError,
  documentationOf,
  MutationError,
  readPlatform,
  type ApiCatalog,
  type ApiPlan,
  type ApiProduct,
  type GraphqlClient,
  type PlatformState,
} from './platform';

/** The label apply puts on what it owns. */
export const MANAGED_BY = 'plangraph-cli';

export type Kind = 'product' | 'catalog' | 'plan';

export interface Change {
  action: 'create' | 'update' | 'delete';
  kind: Kind;
  /** Slug or key. */
  name: string;
  /** For updates: the settings that differ (labels as `key`, `managedBy`). */
  fields: string[];
}

export interface Problem {
  kind: Kind;
  name: string;
  message: string;
}

export interface Diff {
  changes: Change[];
  /** What cannot be done (refused before anything is written). */
  problems: Problem[];
  /** What is left as it is for now, and why (e.g. a catalog still in a plan whose change awaits approval). */
  notes: string[];
}

/** A key from a name, for objects made without one (lowercase, groups of letters and digits joined by `-`). */
export function derivedKey(name: string): string {
  const key = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return key || 'unnamed';
}

// ---------------------------------------------------------------------------------------------
// The platform's state in the file's form

interface Names {
  productSlug: Map<string, string>;
  catalogKey: Map<string, string>;
  organizationSlug: Map<string, string>;
  teamName: Map<string, string>;
  organizationId: Map<string, string>;
  teamId: Map<string, string>;
}

function names(state: PlatformState, catalogKey: Map<string, string>): Names {
  const organizationSlug = new Map<string, string>();
  const teamName = new Map<string, string>();
  const organizationId = new Map<string, string>();
  const teamId = new Map<string, string>();
  for (const org of state.organizations) {
    organizationSlug.set(org.id, org.slug);
    organizationId.set(org.slug, org.id);
    for (const team of org.teams ?? []) {
      teamName.set(team.id, `${org.slug}/${team.name}`);
      teamId.set(`${org.slug}/${team.name}`, team.id);
    }
  }
  return {
    productSlug: new Map(state.products.map((p) => [p.id, p.slug])),
    catalogKey,
    organizationSlug,
    teamName,
    organizationId,
    teamId,
  };
}

function productInFile(p: ApiProduct): FileProduct {
  return canonicalProduct({
    slug: p.slug,
    name: p.name,
    displayName: p.displayName,
    description: p.description,
    status: p.status === 'PUBLISHED' ? 'PUBLISHED' : 'DRAFT',
    tykApiIds: p.tykApiIds,
    tags: p.tags,
    customFields: p.customFields,
    documentation: documentationOf(p.documentation),
  });
}

function catalogInFile(c: ApiCatalog, key: string, state: PlatformState, n: Names): FileCatalog {
  return canonicalCatalog({
    key,
    name: c.name,
    description: c.description,
    visibility: c.visibility,
    audience: {
      organizations: c.audience.flatMap((m) =>
        m.organizationId ? [n.organizationSlug.get(m.organizationId) ?? `?${m.organizationId}`] : [],
      ),
      teams: c.audience.flatMap((m) => (m.teamId ? [n.teamName.get(m.teamId) ?? `?${m.teamId}`] : [])),
    },
    // Archived products are retired: they are not part of the catalogue any more.
    products: state.products.filter((p) => p.status !== 'ARCHIVED' && p.catalogs.some((x) => x.id === c.id)).map((p) => p.slug),
  });
}

function planInFile(p: ApiPlan, key: string, n: Names): FilePlan {
  const q = p.quota;
  return canonicalPlan({
    key,
    name: p.name,
    displayName: p.displayName,
    description: p.description,
    status: p.status === 'PUBLISHED' ? 'PUBLISHED' : 'DRAFT',
    catalogs: p.catalogs.map((c) => n.catalogKey.get(c.id) ?? `?${c.id}`),
    quota: q.unlimited
      ? null
      : q.period === 'CUSTOM'
        ? { requests: q.requests!, period: 'CUSTOM', periodSeconds: q.periodSeconds! }
        : { requests: q.requests!, period: q.period! },
    rateLimit: p.rateLimit.unlimited ? null : { requests: p.rateLimit.requests!, perSeconds: p.rateLimit.perSeconds! },
    quotaScope: p.quotaScope,
    keyExpiresAfterSeconds: p.keyExpiresAfterSeconds,
    jwtScopes: p.jwtScopes,
    credentialKind: p.credentialKind,
    credentialMetadata: p.credentialMetadata,
    autoApprove: p.autoApprove,
    accessRequestLimit: p.accessRequestLimit.unlimited
      ? null
      : { allowance: p.accessRequestLimit.allowance!, renewalSeconds: p.accessRequestLimit.renewalSeconds! },
    tier: p.tier,
    trialDays: p.trialDays,
    boostAllowance: p.boostAllowance,
    endpointRules: p.endpointRules.map((r) => ({
      product: n.productSlug.get(r.productId) ?? `?${r.productId}`,
      allow: r.allow,
      allowedTypes: r.allowedTypes,
      restrictedTypes: r.restrictedTypes,
    })),
  });
}

/** Keys for objects without one (made by hand), derived from their names; refused when two collide. */
function effectiveKeys<T extends { id: string; key: string | null; name: string }>(items: T[], kind: Kind, problems: Problem[]) {
  const byKey = new Map<string, T>();
  const keyOf = new Map<string, string>();
  for (const item of [...items].sort((a, b) => Number(b.key !== null) - Number(a.key !== null))) {
    const key = item.key ?? derivedKey(item.name);
    const other = byKey.get(key);
    if (other) {
      problems.push({
        kind,
        name: key,
        message: `the ${kind}s \`${other.name}\` and \`${item.name}\` would both have the key \`${key}\`: give one of them a key (update${kind === 'plan' ? 'Plan' : 'Catalog'} with \`key\`)`,
      });
      continue;
    }
    byKey.set(key, item);
    keyOf.set(item.id, key);
  }
  return keyOf;
}

export interface ExportResult {
  catalogue: Catalogue;
  /** Objects whose key was derived from their name (they have none yet). */
  derived: string[];
  problems: Problem[];
}

/** The platform's catalogue in the file's canonical form: everything but archived products and plans. */
export async function exportCatalogue(client: GraphqlClient): Promise<ExportResult> {
  const state = await readPlatform(client);
  const problems: Problem[] = [];
  const catalogKey = effectiveKeys(state.catalogs, 'catalog', problems);
  const live = state.plans.filter((p) => p.status !== 'ARCHIVED');
  const planKey = effectiveKeys(live, 'plan', problems);
  const n = names(state, catalogKey);
  const derived = [
    ...state.catalogs.filter((c) => !c.key).map((c) => `catalog \`${c.name}\` → key \`${catalogKey.get(c.id)}\``),
    ...live.filter((p) => !p.key).map((p) => `plan \`${p.name}\` → key \`${planKey.get(p.id)}\``),
  ];
  const catalogue = canonicalCatalogue({
    products: state.products.filter((p) => p.status !== 'ARCHIVED').map(productInFile),
    catalogs: state.catalogs.filter((c) => catalogKey.has(c.id)).map((c) => catalogInFile(c, catalogKey.get(c.id)!, state, n)),
    plans: live.filter((p) => planKey.has(p.id)).map((p) => planInFile(p, planKey.get(p.id)!, n)),
  });
  const dangling = JSON.stringify(catalogue).match(/"\?[0-9a-f-]{36}"/g);
  if (dangling)
    problems.push({
      kind: 'plan',
      name: '*',
      message: `some references point at archived or unknown objects (${[...new Set(dangling)].join(', ')}): fix them on the platform first`,
    });
  return { catalogue, derived, problems };
}

// ---------------------------------------------------------------------------------------------
// Diff

interface Matched<A, F> {
  file: F;
  actual: A | null;
  /** The actual object in file form (null when it is to be created). */
  current: F | null;
}

interface Plan_ {
  diff: Diff;
  state: PlatformState;
  products: Matched<ApiProduct, FileProduct>[];
  catalogs: Matched<ApiCatalog, FileCatalog>[];
  plans: Matched<ApiPlan, FilePlan>[];
  retiredProducts: ApiProduct[];
  retiredPlans: ApiPlan[];
  retiredCatalogs: ApiCatalog[];
  names: Names;
}

function changedFields<T extends object>(current: T, wanted: T): string[] {
  return Object.keys(wanted).filter(
    (k) => JSON.stringify((current as Record<string, unknown>)[k]) !== JSON.stringify((wanted as Record<string, unknown>)[k]),
  );
}

function labelFields(actual: { key?: string | null; managedBy: string | null }, key: string | null): string[] {
  return [...(key !== null && actual.key !== key ? ['key'] : []), ...(actual.managedBy !== MANAGED_BY ? ['managedBy'] : [])];
}

/** Matches a file entry by key, else (adopting an object made by hand) one without a key by name or derived key. */
function matchByKey<A extends { key: string | null; name: string }>(items: A[], key: string, name: string, taken: Set<A>): A | null {
  const found =
    items.find((i) => i.key === key) ??
    items.find((i) => i.key === null && i.name === name && !taken.has(i)) ??
    items.find((i) => i.key === null && derivedKey(i.name) === key && !taken.has(i)) ??
    null;
  if (found) taken.add(found);
  return found;
}

const pendingOf = (state: PlatformState, planId: string) => state.pendingChanges.filter((r) => r.planId === planId);

async function plan(client: GraphqlClient, wanted: Catalogue): Promise<Plan_> {
  const state = await readPlatform(client);
  const changes: Change[] = [];
  const problems: Problem[] = [];
  const notes: string[] = [];

  const products = wanted.products.map((file): Matched<ApiProduct, FileProduct> => {
    const actual = state.products.find((p) => p.slug === file.slug) ?? null;
    if (actual?.status === 'ARCHIVED') {
      problems.push({
        kind: 'product',
        name: file.slug,
        message: 'a product with this slug is ARCHIVED on the platform, and archived products are final: give the product another slug',
      });
    }
    return { file, actual, current: actual ? productInFile(actual) : null };
  });

  const takenCatalogs = new Set<ApiCatalog>();
  const catalogs = wanted.catalogs.map((file): Matched<ApiCatalog, FileCatalog> => {
    const actual = matchByKey(state.catalogs, file.key, file.name, takenCatalogs);
    return { file, actual, current: null };
  });
  // Catalog keys as the file sees them: the file's key for the catalogs it names.
  const catalogKey = effectiveKeys(
    state.catalogs.filter((c) => !takenCatalogs.has(c)),
    'catalog',
    [],
  );
  for (const m of catalogs) if (m.actual) catalogKey.set(m.actual.id, m.file.key);
  const n = names(state, catalogKey);
  for (const m of catalogs) {
    if (m.actual) m.current = catalogInFile(m.actual, m.file.key, state, n);
    for (const slug of m.file.audience.organizations)
      if (!n.organizationId.has(slug))
        problems.push({ kind: 'catalog', name: m.file.key, message: `no organization has the slug \`${slug}\` here: create it first` });
    for (const team of m.file.audience.teams)
      if (!n.teamId.has(team)) problems.push({ kind: 'catalog', name: m.file.key, message: `no team \`${team}\` here: create it first` });
  }

  const takenPlans = new Set<ApiPlan>();
  const plans = wanted.plans.map((file): Matched<ApiPlan, FilePlan> => {
    const actual = matchByKey(state.plans, file.key, file.name, takenPlans);
    if (actual?.status === 'ARCHIVED' && file.status === 'DRAFT')
      problems.push({
        kind: 'plan',
        name: file.key,
        message:
          'this plan is ARCHIVED here and a plan never goes back to DRAFT: make it PUBLISHED in the file, or give it a new key and name',
      });
    if (actual?.status === 'PUBLISHED' && file.status === 'DRAFT')
      problems.push({
        kind: 'plan',
        name: file.key,
        message:
          'this plan is PUBLISHED here and a plan never goes back to DRAFT: keep it PUBLISHED, or remove it from the file to archive it',
      });
    return { file, actual, current: actual ? planInFile(actual, file.key, n) : null };
  });

  for (const m of products) {
    if (!m.actual) changes.push({ action: 'create', kind: 'product', name: m.file.slug, fields: [] });
    else if (m.actual.status !== 'ARCHIVED') {
      const fields = [...changedFields(m.current!, m.file), ...labelFields({ managedBy: m.actual.managedBy }, null)];
      if (fields.length) changes.push({ action: 'update', kind: 'product', name: m.file.slug, fields });
    }
  }
  for (const m of catalogs) {
    if (!m.actual) changes.push({ action: 'create', kind: 'catalog', name: m.file.key, fields: [] });
    else {
      const fields = [...changedFields(m.current!, m.file), ...labelFields(m.actual, m.file.key)];
      if (fields.length) changes.push({ action: 'update', kind: 'catalog', name: m.file.key, fields });
    }
  }
  for (const m of plans) {
    if (!m.actual) changes.push({ action: 'create', kind: 'plan', name: m.file.key, fields: [] });
    else {
      const fields = [
        ...(m.actual.status === 'ARCHIVED' ? ['status'] : []),
        ...changedFields(m.current!, m.file).filter((f) => !(f === 'status' && m.actual!.status === 'ARCHIVED')),
        ...labelFields(m.actual, m.file.key),
      ];
      if (fields.length) changes.push({ action: 'update', kind: 'plan', name: m.file.key, fields });
      for (const request of pendingOf(state, m.actual.id))
        notes.push(
          `plan ${m.file.key}: change request ${request.id} (${request.changes.map((c) => c.field).join(', ')}) awaits a second portal admin`,
        );
    }
  }

  const named = (list: { actual: unknown }[]) => new Set(list.map((m) => m.actual).filter(Boolean));
  const namedPlans = named(plans);
  const retiredPlans = state.plans.filter((p) => p.managedBy === MANAGED_BY && p.status !== 'ARCHIVED' && !namedPlans.has(p));
  for (const p of retiredPlans) changes.push({ action: 'delete', kind: 'plan', name: p.key ?? p.name, fields: [] });
  const namedProducts = named(products);
  const retiredProducts = state.products.filter((p) => p.managedBy === MANAGED_BY && p.status !== 'ARCHIVED' && !namedProducts.has(p));
  for (const p of retiredProducts) changes.push({ action: 'delete', kind: 'product', name: p.slug, fields: [] });
  const namedCatalogs = named(catalogs);
  const retiredCatalogs = state.catalogs.filter((c) => c.managedBy === MANAGED_BY && !namedCatalogs.has(c));
  for (const c of retiredCatalogs) changes.push({ action: 'delete', kind: 'catalog', name: c.key ?? c.name, fields: [] });

  return { diff: { changes, problems, notes }, state, products, catalogs, plans, retiredProducts, retiredPlans, retiredCatalogs, names: n };
}

export async function diffCatalogue(client: GraphqlClient, wanted: Catalogue): Promise<Diff> {
  return (await plan(client, wanted)).diff;
}

// ---------------------------------------------------------------------------------------------
// Apply

export interface Proposal {
  plan: string;
  fields: string[];
  changeRequestId: string;
}

export interface ApplyResult extends Diff {
  /** Changes done (with dry-run: the ones that would be). */
  done: Change[];
  /** Plan changes that became change requests for a second portal admin. */
  proposals: Proposal[];
  /** A change the platform refused part-way (the ones before it are done). */
  failed: { change: Change; message: string } | null;
  /** Deletions left for a later apply, and why (a catalog still in a plan whose change awaits approval). */
  kept: string[];
}

const ids = (map: Map<string, string>, values: string[]) => values.map((v) => map.get(v)!);

function productInput(file: FileProduct, fields?: string[]) {
  const all = {
    name: file.name,
    displayName: file.displayName,
    description: file.description,
    status: file.status,
    tykApiIds: file.tykApiIds,
    tags: file.tags,
    customFields: file.customFields,
    documentation: file.documentation
      ? file.documentation.format === 'URL'
        ? { format: 'URL', url: file.documentation.url }
        : { format: 'MARKDOWN', markdown: file.documentation.markdown }
      : null,
  };
  return fields ? Object.fromEntries(Object.entries(all).filter(([k]) => fields.includes(k))) : all;
}

/** Plan settings as the plan inputs take them (`catalogs` → `catalogIds`, products by id). */
function planSettings(file: FilePlan, catalogIds: Map<string, string>, productIds: Map<string, string>, fields?: string[]) {
  const all: Record<string, unknown> = {
    name: file.name,
    displayName: file.displayName,
    description: file.description,
    quota: file.quota,
    rateLimit: file.rateLimit,
    quotaScope: file.quotaScope,
    keyExpiresAfterSeconds: file.keyExpiresAfterSeconds,
    jwtScopes: file.jwtScopes,
    credentialKind: file.credentialKind,
    credentialMetadata: file.credentialMetadata,
    catalogs: ids(catalogIds, file.catalogs),
    autoApprove: file.autoApprove,
    accessRequestLimit: file.accessRequestLimit,
    tier: file.tier,
    trialDays: file.trialDays,
    boostAllowance: file.boostAllowance,
    endpointRules: file.endpointRules.map((r) => ({
      productId: productIds.get(r.product)!,
      allow: r.allow,
      allowedTypes: r.allowedTypes,
      restrictedTypes: r.restrictedTypes,
    })),
  };
  const picked = Object.entries(all).filter(([k]) => !fields || fields.includes(k));
  return Object.fromEntries(picked.map(([k, v]) => [k === 'catalogs' ? 'catalogIds' : k, v]));
}

const approvalRequired = (error: unknown) => error instanceof MutationError && error.errors.some((e) => e.code === 'APPROVAL_REQUIRED');

const PLAN_SELECTION = 'plan { id version status }';

export async function applyCatalogue(client: GraphqlClient, wanted: Catalogue, options: { dryRun: boolean }): Promise<ApplyResult> {
  const p = await plan(client, wanted);
  const result: ApplyResult = { ...p.diff, done: [], proposals: [], failed: null, kept: [] };
  if (p.diff.problems.length || options.dryRun) {
    if (options.dryRun && !p.diff.problems.length) result.done = [...p.diff.changes];
    return result;
  }
  const change = (kind: Kind, name: string) => p.diff.changes.find((c) => c.kind === kind && c.name === name && c.action !== 'delete');
  let current: Change | null = null;
  const productIds = new Map(p.state.products.filter((x) => x.status !== 'ARCHIVED').map((x) => [x.slug, x.id]));
  const catalogIds = new Map<string, string>();
  for (const m of p.catalogs) if (m.actual) catalogIds.set(m.file.key, m.actual.id);
  try {
    for (const m of p.products) {
      const c = (current = change('product', m.file.slug) ?? null);
      if (!c) continue;
      if (c.action === 'create') {
        const created = await client.mutate<{ product: { id: string }; errors: [] }>(
          'createProduct',
          'CreateProductInput',
          { slug: m.file.slug, ...productInput(m.file), managedBy: MANAGED_BY },
          'product { id }',
        );
        productIds.set(m.file.slug, created.product.id);
      } else {
        await client.mutate(
          'updateProduct',
          'UpdateProductInput',
          {
            id: m.actual!.id,
            expectedVersion: m.actual!.version,
            ...productInput(m.file, c.fields),
            managedBy: MANAGED_BY,
          },
          'product { id }',
        );
      }
      result.done.push(c);
    }
    for (const m of p.catalogs) {
      const c = (current = change('catalog', m.file.key) ?? null);
      if (!c) continue;
      const audience = {
        organizationIds: ids(p.names.organizationId, m.file.audience.organizations),
        teamIds: ids(p.names.teamId, m.file.audience.teams),
      };
      if (c.action === 'create') {
        const created = await client.mutate<{ catalog: { id: string }; errors: [] }>(
          'createCatalog',
          'CreateCatalogInput',
          {
            key: m.file.key,
            managedBy: MANAGED_BY,
            name: m.file.name,
            description: m.file.description,
            visibility: m.file.visibility,
            audience: m.file.visibility === 'PRIVATE' ? audience : null,
            productIds: ids(productIds, m.file.products),
          },
          'catalog { id }',
        );
        catalogIds.set(m.file.key, created.catalog.id);
      } else {
        const has = new Set(m.current!.products);
        const wantedProducts = new Set(m.file.products);
        await client.mutate(
          'updateCatalog',
          'UpdateCatalogInput',
          {
            id: m.actual!.id,
            key: m.file.key,
            managedBy: MANAGED_BY,
            ...(c.fields.includes('name') ? { name: m.file.name } : {}),
            ...(c.fields.includes('description') ? { description: m.file.description } : {}),
            ...(c.fields.includes('visibility') ? { visibility: m.file.visibility } : {}),
            ...(c.fields.includes('audience') || c.fields.includes('visibility')
              ? { audience: m.file.visibility === 'PRIVATE' ? audience : null }
              : {}),
            addProductIds: ids(
              productIds,
              m.file.products.filter((s) => !has.has(s)),
            ),
            removeProductIds: ids(
              productIds,
              m.current!.products.filter((s) => !wantedProducts.has(s)),
            ),
          },
          'catalog { id }',
        );
      }
      result.done.push(c);
    }
    for (const m of p.plans) {
      const c = (current = change('plan', m.file.key) ?? null);
      if (!c) continue;
      const proposal = await applyPlan(client, m, c, catalogIds, productIds);
      if (proposal) result.proposals.push(proposal);
      // A change that became a proposal only is reported as proposed, not as done.
      if (!proposal || c.action === 'create') result.done.push(c);
    }
    for (const retired of p.retiredPlans) {
      current = { action: 'delete', kind: 'plan', name: retired.key ?? retired.name, fields: [] };
      try {
        await client.mutate('archivePlan', 'ArchivePlanInput', { id: retired.id }, PLAN_SELECTION);
        result.done.push(current);
      } catch (error) {
        if (!approvalRequired(error)) throw error;
        const request = await propose(client, retired, { status: 'ARCHIVED' }, ['status']);
        result.proposals.push({ plan: current.name, fields: ['status'], changeRequestId: request });
      }
    }
    for (const retired of p.retiredProducts) {
      current = { action: 'delete', kind: 'product', name: retired.slug, fields: [] };
      await client.mutate('archiveProduct', 'ArchiveProductInput', { id: retired.id }, 'product { id }');
      result.done.push(current);
    }
    // Last: the plans have left the catalogs by now, unless a plan's change awaits a second admin.
    for (const retired of p.retiredCatalogs) {
      current = { action: 'delete', kind: 'catalog', name: retired.key ?? retired.name, fields: [] };
      try {
        await client.mutate('deleteCatalog', 'DeleteCatalogInput', { id: retired.id }, 'deletedCatalogId');
        result.done.push(current);
      } catch (error) {
        if (!(error instanceof MutationError) || !error.errors.some((e) => e.code === 'CATALOG_IN_USE')) throw error;
        result.kept.push(
          `catalog ${current.name} is kept for now: ${error.message} Apply again once the plans' change requests are decided.`,
        );
      }
    }
    current = null;
  } catch (error) {
    if (!(error instanceof MutationError || error instanceof ApiError) || !current) throw error;
    result.failed = { change: current, message: error.message };
  }
  return result;
}

/** The proposal's idempotency key: the same change of the same plan version is proposed once (a replay answers the first request). */
function proposalKey(planId: string, version: number, changes: unknown): string {
  return `plangraph-cli-${createHash('sha256').update(JSON.stringify({ planId, version, changes })).digest('hex').slice(0, 48)}`;
}

async function propose(
  client: GraphqlClient,
  actual: { id: string; version: number },
  changes: Record<string, unknown>,
  fields: string[],
): Promise<string> {
  const payload = await client.mutate<{ changeRequest: { id: string }; errors: [] }>(
    'proposePlanChange',
    'ProposePlanChangeInput',
    {
      id: actual.id,
      expectedVersion: actual.version,
      changes,
      reason: `Catalogue apply (${MANAGED_BY}): ${fields.join(', ')}`,
      idempotencyKey: proposalKey(actual.id, actual.version, changes),
    },
    'changeRequest { id }',
  );
  return payload.changeRequest.id;
}

/**
 * One plan: created, or updated and published/re-published. A part the platform refuses with
 * APPROVAL_REQUIRED is proposed instead (with the labels written directly: they need no approval).
 */
async function applyPlan(
  client: GraphqlClient,
  m: Matched<ApiPlan, FilePlan>,
  c: Change,
  catalogIds: Map<string, string>,
  productIds: Map<string, string>,
): Promise<Proposal | null> {
  type PlanPayload = { plan: { id: string; version: number; status: string }; errors: [] };
  if (c.action === 'create') {
    const input = { key: m.file.key, managedBy: MANAGED_BY, ...planSettings(m.file, catalogIds, productIds), status: m.file.status };
    try {
      await client.mutate('createPlan', 'CreatePlanInput', input, PLAN_SELECTION);
      return null;
    } catch (error) {
      if (!approvalRequired(error)) throw error;
      const created = await client.mutate<PlanPayload>('createPlan', 'CreatePlanInput', { ...input, status: 'DRAFT' }, PLAN_SELECTION);
      const id = await propose(client, created.plan, { status: 'PUBLISHED' }, ['status']);
      return { plan: m.file.key, fields: ['status'], changeRequestId: id };
    }
  }
  let actual = { id: m.actual!.id, version: m.actual!.version, status: m.actual!.status as string };
  const settingFields = c.fields.filter((f) => !['key', 'managedBy', 'status'].includes(f));
  const labelsChanged = c.fields.includes('key') || c.fields.includes('managedBy');
  const publish = m.file.status === 'PUBLISHED' && actual.status !== 'PUBLISHED';
  const labels = { key: m.file.key, managedBy: MANAGED_BY };
  const transition = async (mutation: 'publishPlan', type: 'PublishPlanInput') =>
    (await client.mutate<PlanPayload>(mutation, type, { id: actual.id, expectedVersion: actual.version }, PLAN_SELECTION)).plan;
  let stage: 'republish' | 'update' | 'publish' = 'republish';
  try {
    // An archived plan takes changes only once re-published.
    if (publish && actual.status === 'ARCHIVED') actual = await transition('publishPlan', 'PublishPlanInput');
    stage = 'update';
    if (settingFields.length || labelsChanged) {
      const input = {
        id: actual.id,
        expectedVersion: actual.version,
        ...labels,
        ...planSettings(m.file, catalogIds, productIds, settingFields),
      };
      actual = (await client.mutate<PlanPayload>('updatePlan', 'UpdatePlanInput', input, PLAN_SELECTION)).plan;
    }
    stage = 'publish';
    if (publish && actual.status !== 'PUBLISHED') actual = await transition('publishPlan', 'PublishPlanInput');
    return null;
  } catch (error) {
    if (!approvalRequired(error)) throw error;
    // The refused mutation wrote nothing. Labels need no approval: they are written alone (an archived plan takes none).
    if (stage === 'update' && labelsChanged)
      actual = (await client.mutate<PlanPayload>('updatePlan', 'UpdatePlanInput', { id: actual.id, ...labels }, PLAN_SELECTION)).plan;
    const pending = stage === 'publish' ? [] : settingFields;
    const fields = [...pending, ...(publish ? ['status'] : [])];
    const changes = { ...planSettings(m.file, catalogIds, productIds, pending), ...(publish ? { status: 'PUBLISHED' } : {}) };
    const id = await propose(client, actual, changes, fields);
    return { plan: m.file.key, fields, changeRequestId: id };
  }
}
