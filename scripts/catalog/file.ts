/**
 * The catalogue file of `npm run plangraph` (docs/CATALOG-AS-CODE.md): its model, its canonical
 * form (every setting present, stable key order, sets sorted) so that export → apply → export
 * gives the same bytes, and reading it: YAML through the `yaml` package's document API (every node
 * keeps its source range), checked against schema/catalog.schema.json with ajv and then for what a
 * JSON Schema cannot say (unique keys, references between entries), each error with its line.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import { isNode, LineCounter, parseDocument, stringify, type Document } from 'yaml';
import { projectRoot } from '../paths';

export const SCHEMA_FILE = path.join(projectRoot(), 'schema', 'catalog.schema.json');
/** What `export` puts on its first line, for editors with the YAML language server (path relative to the file). */
export const SCHEMA_COMMENT = '# yaml-language-server: $schema=./schema/catalog.schema.json';

export type ProductStatus = 'DRAFT' | 'PUBLISHED';
export type PlanStatus = 'DRAFT' | 'PUBLISHED';

export interface KeyValue {
  key: string;
  value: string;
}

export type Documentation = { format: 'MARKDOWN'; markdown: string } | { format: 'URL'; url: string } | null;

export interface FileProduct {
  slug: string;
  name: string;
  displayName: string;
  description: string;
  status: ProductStatus;
  tykApiIds: string[];
  tags: string[];
  customFields: KeyValue[];
  documentation: Documentation;
}

export interface FileCatalog {
  key: string;
  name: string;
  description: string;
  visibility: 'PUBLIC' | 'PRIVATE';
  audience: { organizations: string[]; teams: string[] };
  products: string[];
}

export type Quota =
  { requests: number; period: 'HOUR' | 'DAY' | 'WEEK' | 'MONTH' } | { requests: number; period: 'CUSTOM'; periodSeconds: number };

export interface TypeFields {
  name: string;
  fields: string[];
}

export interface FileEndpointRule {
  product: string;
  allow: { path: string; methods: string[] }[];
  allowedTypes: TypeFields[];
  restrictedTypes: TypeFields[];
}

export interface FilePlan {
  key: string;
  name: string;
  displayName: string;
  description: string;
  status: PlanStatus;
  catalogs: string[];
  quota: Quota | null;
  rateLimit: { requests: number; perSeconds: number } | null;
  quotaScope: 'CREDENTIAL' | 'APP' | 'ORGANIZATION';
  keyExpiresAfterSeconds: number | null;
  jwtScopes: string[];
  credentialKind: 'API_KEY' | 'OAUTH_CLIENT';
  credentialMetadata: KeyValue[];
  autoApprove: boolean;
  accessRequestLimit: { allowance: number; renewalSeconds: number } | null;
  tier: number;
  trialDays: number | null;
  endpointRules: FileEndpointRule[];
  boostAllowance: BoostAllowance | null;
}

/** What ORG_ADMINs may grant as temporary quota boosts under a plan. */
export interface BoostAllowance {
  maxExtraQuotaPercent: number;
  maxExtraRatePercent: number;
  maxDurationSeconds: number;
  maxBoosts: number;
  windowSeconds: number;
}

export interface Catalogue {
  version: 1;
  products: FileProduct[];
  catalogs: FileCatalog[];
  plans: FilePlan[];
}

const sorted = (values: readonly string[]): string[] => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const by =
  <T>(key: (t: T) => string) =>
  (a: T, b: T): number =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/* Every canonical function builds its object key by key, in the order the file shows them. */

const keyValues = (entries: readonly KeyValue[] | undefined): KeyValue[] => (entries ?? []).map((e) => ({ key: e.key, value: e.value }));

function documentation(doc: Documentation | undefined): Documentation {
  if (!doc) return null;
  return doc.format === 'URL' ? { format: 'URL', url: doc.url } : { format: 'MARKDOWN', markdown: doc.markdown };
}

export function canonicalProduct(p: Partial<FileProduct> & { slug: string; name: string }): FileProduct {
  return {
    slug: p.slug,
    name: p.name,
    displayName: p.displayName ?? p.name,
    description: p.description ?? '',
    status: p.status ?? 'DRAFT',
    tykApiIds: sorted(p.tykApiIds ?? []),
    tags: sorted(p.tags ?? []),
    customFields: keyValues(p.customFields),
    documentation: documentation(p.documentation),
  };
}

export function canonicalCatalog(
  c: Partial<Omit<FileCatalog, 'audience'>> & {
    key: string;
    name: string;
    visibility: FileCatalog['visibility'];
    audience?: Partial<FileCatalog['audience']>;
  },
): FileCatalog {
  return {
    key: c.key,
    name: c.name,
    description: c.description ?? '',
    visibility: c.visibility,
    audience: { organizations: sorted(c.audience?.organizations ?? []), teams: sorted(c.audience?.teams ?? []) },
    products: sorted(c.products ?? []),
  };
}

const typeFields = (list: readonly TypeFields[] | undefined): TypeFields[] =>
  (list ?? []).map((t) => ({ name: t.name, fields: sorted(t.fields) })).sort(by((t) => t.name));

export function canonicalRule(r: Partial<FileEndpointRule> & { product: string }): FileEndpointRule {
  return {
    product: r.product,
    allow: (r.allow ?? []).map((a) => ({ path: a.path, methods: sorted(a.methods.map((m) => m.toUpperCase())) })),
    allowedTypes: typeFields(r.allowedTypes),
    restrictedTypes: typeFields(r.restrictedTypes),
  };
}

function quota(q: Quota | null | undefined): Quota | null {
  if (!q) return null;
  return q.period === 'CUSTOM'
    ? { requests: q.requests, period: 'CUSTOM', periodSeconds: q.periodSeconds }
    : { requests: q.requests, period: q.period };
}

export function canonicalPlan(p: Partial<FilePlan> & { key: string; name: string }): FilePlan {
  return {
    key: p.key,
    name: p.name,
    displayName: p.displayName ?? p.name,
    description: p.description ?? '',
    status: p.status ?? 'DRAFT',
    catalogs: sorted(p.catalogs ?? []),
    quota: quota(p.quota),
    rateLimit: p.rateLimit ? { requests: p.rateLimit.requests, perSeconds: p.rateLimit.perSeconds } : null,
    quotaScope: p.quotaScope ?? 'CREDENTIAL',
    keyExpiresAfterSeconds: p.keyExpiresAfterSeconds ?? null,
    jwtScopes: [...(p.jwtScopes ?? [])],
    credentialKind: p.credentialKind ?? 'API_KEY',
    credentialMetadata: keyValues(p.credentialMetadata),
    autoApprove: p.autoApprove ?? false,
    accessRequestLimit: p.accessRequestLimit
      ? { allowance: p.accessRequestLimit.allowance, renewalSeconds: p.accessRequestLimit.renewalSeconds }
      : null,
    tier: p.tier ?? 0,
    trialDays: p.trialDays ?? null,
    endpointRules: (p.endpointRules ?? []).map(canonicalRule).sort(by((r) => r.product)),
    boostAllowance: p.boostAllowance
      ? {
          maxExtraQuotaPercent: p.boostAllowance.maxExtraQuotaPercent,
          maxExtraRatePercent: p.boostAllowance.maxExtraRatePercent,
          maxDurationSeconds: p.boostAllowance.maxDurationSeconds,
          maxBoosts: p.boostAllowance.maxBoosts,
          windowSeconds: p.boostAllowance.windowSeconds,
        }
      : null,
  };
}

export function canonicalCatalogue(c: { products?: FileProduct[]; catalogs?: FileCatalog[]; plans?: FilePlan[] }): Catalogue {
  return {
    version: 1,
    products: (c.products ?? []).map(canonicalProduct).sort(by((p) => p.slug)),
    catalogs: (c.catalogs ?? []).map(canonicalCatalog).sort(by((c) => c.key)),
    plans: (c.plans ?? []).map(canonicalPlan).sort(by((p) => p.key)),
  };
}

/** The file's text: the schema comment, then the canonical catalogue as YAML (same input, same bytes). */
export function formatCatalogue(catalogue: Catalogue): string {
  return `${SCHEMA_COMMENT}\n${stringify(canonicalCatalogue(catalogue), { lineWidth: 0, indentSeq: true })}`;
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface FileError {
  line: number;
  column: number;
  /** Where in the file, as a path (`plans[2].quota.requests`). */
  at: string;
  message: string;
}

export class CatalogueFileError extends Error {
  constructor(
    readonly file: string,
    readonly errors: FileError[],
  ) {
    super(errors.map((e) => `${file}:${e.line}:${e.column}: ${e.at ? `${e.at}: ` : ''}${e.message}`).join('\n'));
    this.name = 'CatalogueFileError';
  }
}

let validator: ReturnType<Ajv['compile']> | null = null;
function validate(value: unknown): ErrorObject[] {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    validator = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as object);
  }
  return validator(value) ? [] : (validator.errors ?? []);
}

type Path = (string | number)[];

const pathText = (p: Path): string =>
  p.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part), '');

/** The line and column of the deepest node of the path that exists (the key itself when the value is missing). */
function position(doc: Document, lines: LineCounter, p: Path): { line: number; column: number } {
  for (let n = p.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true);
    if (isNode(node) && node.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return { line, column: col };
    }
  }
  return { line: 1, column: 1 };
}

function schemaMessage(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return `unknown setting \`${String(params.additionalProperty)}\``;
  if (error.keyword === 'required') return `\`${String(params.missingProperty)}\` is required`;
  if (error.keyword === 'enum') return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  if (error.keyword === 'const') return `must be ${JSON.stringify(params.allowedValue)}`;
  return error.message ?? 'is invalid';
}

/** Only the most useful of ajv's errors: a `oneOf` failing says little when a branch's own error is there. */
function usefulErrors(errors: ErrorObject[]): ErrorObject[] {
  const paths = new Set(errors.filter((e) => e.keyword !== 'oneOf').map((e) => e.instancePath));
  const kept = errors.filter((e) => {
    if (e.keyword === 'oneOf') return ![...paths].some((p) => p.startsWith(e.instancePath));
    return true;
  });
  // For oneOf branches, `type: null` mismatches are noise when another branch explains the value.
  const typeNull = kept.filter((e) => e.keyword === 'type' && (e.params as { type?: string }).type === 'null');
  const unique = new Map<string, ErrorObject>();
  for (const e of kept) {
    if (typeNull.includes(e) && kept.some((o) => o !== e && o.instancePath.startsWith(e.instancePath) && !typeNull.includes(o))) continue;
    unique.set(`${e.instancePath} ${schemaMessage(e)}`, e);
  }
  return [...unique.values()];
}

function jsonPointerPath(pointer: string): Path {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** Rules between entries that a JSON Schema cannot state. */
function crossChecks(c: Catalogue): { path: Path; message: string }[] {
  const out: { path: Path; message: string }[] = [];
  const unique = (list: 'products' | 'catalogs' | 'plans', field: string, values: string[], what: string, fold = false) => {
    const seen = new Map<string, number>();
    values.forEach((value, i) => {
      const v = fold ? value.toLowerCase() : value;
      const first = seen.get(v);
      if (first !== undefined)
        out.push({ path: [list, i, field], message: `${what} \`${value}\` is used twice (first by ${list}[${first}])` });
      else seen.set(v, i);
    });
  };
  unique(
    'products',
    'slug',
    c.products.map((p) => p.slug),
    'the slug',
  );
  unique(
    'catalogs',
    'key',
    c.catalogs.map((x) => x.key),
    'the key',
  );
  unique(
    'catalogs',
    'name',
    c.catalogs.map((x) => x.name),
    'the name',
  );
  unique(
    'plans',
    'key',
    c.plans.map((p) => p.key),
    'the key',
  );
  unique(
    'plans',
    'name',
    c.plans.map((p) => p.name),
    'the name',
  );
  const slugs = new Set(c.products.map((p) => p.slug));
  const keys = new Set(c.catalogs.map((x) => x.key));
  c.products.forEach((p, i) => {
    if (p.status === 'PUBLISHED' && p.tykApiIds.length === 0)
      out.push({ path: ['products', i, 'status'], message: 'a PUBLISHED product needs at least one Tyk API id in `tykApiIds`' });
    const fieldKeys = new Set<string>();
    p.customFields.forEach((f, j) => {
      if (fieldKeys.has(f.key))
        out.push({ path: ['products', i, 'customFields', j, 'key'], message: `the custom field \`${f.key}\` is given twice` });
      fieldKeys.add(f.key);
    });
  });
  c.catalogs.forEach((x, i) => {
    x.products.forEach((slug, j) => {
      if (!slugs.has(slug)) out.push({ path: ['catalogs', i, 'products', j], message: `no product of this file has the slug \`${slug}\`` });
    });
    if (x.visibility === 'PUBLIC' && x.audience.organizations.length + x.audience.teams.length > 0)
      out.push({
        path: ['catalogs', i, 'audience'],
        message: 'a PUBLIC catalog is open to everyone and takes no audience: remove it or make the catalog PRIVATE',
      });
  });
  c.plans.forEach((p, i) => {
    p.catalogs.forEach((key, j) => {
      if (!keys.has(key)) out.push({ path: ['plans', i, 'catalogs', j], message: `no catalog of this file has the key \`${key}\`` });
    });
    if (p.status === 'PUBLISHED' && p.catalogs.length === 0)
      out.push({ path: ['plans', i, 'status'], message: 'a PUBLISHED plan must be in at least one catalog (`catalogs`)' });
    if (p.credentialKind === 'OAUTH_CLIENT' && p.jwtScopes.length === 0)
      out.push({
        path: ['plans', i, 'jwtScopes'],
        message: 'a plan that issues OAuth2 clients (credentialKind OAUTH_CLIENT) needs at least one JWT scope',
      });
    const metaKeys = new Set<string>();
    p.credentialMetadata.forEach((m, j) => {
      if (metaKeys.has(m.key.toLowerCase()))
        out.push({
          path: ['plans', i, 'credentialMetadata', j, 'key'],
          message: `the metadata key \`${m.key}\` is given twice (ignoring case)`,
        });
      metaKeys.add(m.key.toLowerCase());
    });
    const ruleProducts = new Set<string>();
    p.endpointRules.forEach((r, j) => {
      if (!slugs.has(r.product))
        out.push({ path: ['plans', i, 'endpointRules', j, 'product'], message: `no product of this file has the slug \`${r.product}\`` });
      if (ruleProducts.has(r.product))
        out.push({
          path: ['plans', i, 'endpointRules', j, 'product'],
          message: `a plan has one endpoint rule per product; \`${r.product}\` has two`,
        });
      ruleProducts.add(r.product);
      if (r.allow.length + r.allowedTypes.length + r.restrictedTypes.length === 0)
        out.push({
          path: ['plans', i, 'endpointRules', j],
          message: 'an endpoint rule must restrict something: give `allow`, `allowedTypes` or `restrictedTypes`',
        });
      if (r.allowedTypes.length && r.restrictedTypes.length)
        out.push({
          path: ['plans', i, 'endpointRules', j, 'restrictedTypes'],
          message: 'give `allowedTypes` or `restrictedTypes`, not both',
        });
    });
  });
  return out;
}

/**
 * Reads a catalogue from YAML text. Throws CatalogueFileError with every problem and its line
 * (syntax, schema, references); returns the canonical catalogue, with the entries in file order
 * kept for error positions.
 */
export function parseCatalogue(text: string, file = 'catalog.yaml'): Catalogue {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new CatalogueFileError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
        return { line: pos.line, column: pos.col, at: '', message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') };
      }),
    );
  }
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const schemaErrors = usefulErrors(validate(value));
  const errorsAt = (items: { path: Path; message: string }[]): FileError[] =>
    items
      .map(({ path: p, message }) => ({ ...position(doc, lines, p), at: pathText(p), message }))
      .sort((a, b) => a.line - b.line || a.column - b.column);
  if (schemaErrors.length) {
    throw new CatalogueFileError(
      file,
      errorsAt(
        schemaErrors.map((e) => {
          const at = jsonPointerPath(e.instancePath);
          // An unknown setting is shown where it is written.
          const extra = e.keyword === 'additionalProperties' ? [String((e.params as Record<string, unknown>).additionalProperty)] : [];
          return { path: [...at, ...extra], message: schemaMessage(e) };
        }),
      ),
    );
  }
  const raw = value as { products?: FileProduct[]; catalogs?: FileCatalog[]; plans?: FilePlan[] };
  // Cross checks run on the entries in file order (positions), canonicalised one by one.
  const inOrder: Catalogue = {
    version: 1,
    products: (raw.products ?? []).map(canonicalProduct),
    catalogs: (raw.catalogs ?? []).map(canonicalCatalog),
    plans: (raw.plans ?? []).map(canonicalPlan),
  };
  const problems = crossChecks(inOrder);
  if (problems.length) throw new CatalogueFileError(file, errorsAt(problems));
  return canonicalCatalogue(inOrder);
}
