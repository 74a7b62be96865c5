/**
 * The part of kustomize that deploy/kubernetes uses, so the test suite can render the manifests
 * without the kustomize binary. Every field of a kustomization.yaml it does not implement is
 * refused (`KustomizeError`), so nothing is left unrendered without notice; `kubectl kustomize`
 * stays the reference (the README tells how to compare the two).
 *
 * Implemented, as kustomize v5 does them:
 * - `resources`: YAML files (several documents each) and folders holding a kustomization.yaml,
 *   rendered first with their own fields;
 * - `configMapGenerator` / `secretGenerator`: `envs` files and `literals`, `behavior` create or
 *   merge (merge: into a ConfigMap or Secret a base generated), `type` for a Secret;
 * - `namespace`, `labels` (`pairs`, `includeTemplates`; `includeSelectors: false` only), `images`
 *   (`name`, `newName`, `newTag`, `digest`): applied to what this kustomization and its resources hold;
 * - at the end, generated names get kustomize's content hash (`<name>-<10 characters>`) and the
 *   references of pod templates to them are renamed (`envFrom`, `env[].valueFrom`, `volumes`,
 *   `imagePullSecrets`).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
};

export class KustomizeError extends Error {
  override name = 'KustomizeError';
}

export interface RenderOptions {
  /** Reads a file the kustomization names (default: from disk); lets a test stand in for a file kept out of git. */
  readFile?: (file: string) => string;
}

interface Generated {
  object: KubeObject;
  /** The name before the hash suffix: what references use. */
  name: string;
}

interface Accumulated {
  objects: KubeObject[];
  generated: Generated[];
}

const FIELDS = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images', 'configMapGenerator', 'secretGenerator']);
const GENERATOR_FIELDS = new Set(['name', 'envs', 'literals', 'behavior', 'type']);
const LABEL_FIELDS = new Set(['pairs', 'includeSelectors', 'includeTemplates']);
const IMAGE_FIELDS = new Set(['name', 'newName', 'newTag', 'digest']);

function refuseUnknown(what: string, value: Record<string, unknown>, known: Set<string>): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new KustomizeError(`${what}: "${key}" is not implemented by this renderer`);
  }
}

function asObject(what: string, value: unknown): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new KustomizeError(`${what}: must be a mapping`);
  return value as Record<string, unknown>;
}

function asList(what: string, value: unknown): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new KustomizeError(`${what}: must be a list`);
  return value;
}

function asString(what: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new KustomizeError(`${what}: must be a non-empty string`);
  return value;
}

/** `KEY=value` lines, `#` comments and blank lines, as kustomize reads env files (no value from the environment). */
function parseEnvFile(file: string, text: string): [string, string][] {
  const pairs: [string, string][] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const line = raw.replace(/^\s+/, '');
      if (line === '' || line.startsWith('#')) return;
      const equals = line.indexOf('=');
      const where = `${file}:${index + 1}`;
      // kustomize would take the value of a bare KEY from the environment of whoever renders.
      if (equals < 0) throw new KustomizeError(`${where}: "${line}" has no "=" (a value from the environment is not supported)`);
      pairs.push([checkKey(where, line.slice(0, equals)), line.slice(equals + 1)]);
    });
  return pairs;
}

function parseLiteral(what: string, literal: unknown): [string, string] {
  const text = asString(what, literal);
  const equals = text.indexOf('=');
  if (equals < 0) throw new KustomizeError(`${what}: "${text}" is not KEY=value`);
  const value = text.slice(equals + 1);
  // kustomize strips one pair of quotes around a literal's value; this renderer does not guess.
  if (/^["']/.test(value)) throw new KustomizeError(`${what}: quoted literal values are not implemented`);
  return [checkKey(what, text.slice(0, equals)), value];
}

function checkKey(where: string, key: string): string {
  if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(key)) throw new KustomizeError(`${where}: "${key}" is not a valid key`);
  return key;
}

/** Go's encoding/json escapes <, >, &, U+2028 and U+2029; kustomize hashes that encoding. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortedObject(map: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * kustomize's name suffix of a generated ConfigMap or Secret (api/hasher): SHA-256 of the JSON
 * encoding of kind, an empty name, data (and type), first ten hex digits with 0, 1, 3, a and e
 * replaced by g, h, k, m and t.
 */
export function kustomizeHash(object: KubeObject): string {
  const data = sortedObject(object.data as Record<string, string> | undefined);
  const encoded =
    object.kind === 'ConfigMap'
      ? goJson({ data, kind: 'ConfigMap', name: '' })
      : goJson({ data, kind: 'Secret', name: '', type: object.type ?? '' });
  const hex = createHash('sha256').update(encoded).digest('hex');
  return [...hex.slice(0, 10)].map((c) => ({ '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' })[c] ?? c).join('');
}

function readYamlDocuments(file: string, text: string): KubeObject[] {
  return yaml.loadAll(text, undefined, { filename: file }).flatMap((document, index) => {
    if (document === null || document === undefined) return [];
    const object = asObject(`${file} document ${index + 1}`, document);
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string')
      throw new KustomizeError(`${file} document ${index + 1}: apiVersion and kind are required`);
    const metadata = asObject(`${file} document ${index + 1} metadata`, object.metadata);
    asString(`${file} document ${index + 1} metadata.name`, metadata.name);
    return [object as KubeObject];
  });
}

function generate(
  dir: string,
  kind: 'ConfigMap' | 'Secret',
  spec: unknown,
  index: number,
  read: (file: string) => string,
  into: Accumulated,
): void {
  const what = `${path.join(dir, 'kustomization.yaml')} ${kind === 'ConfigMap' ? 'configMapGenerator' : 'secretGenerator'}[${index}]`;
  const generator = asObject(what, spec);
  refuseUnknown(what, generator, GENERATOR_FIELDS);
  if (kind === 'ConfigMap' && generator.type !== undefined) throw new KustomizeError(`${what}: "type" is for a Secret`);
  const name = asString(`${what}.name`, generator.name);
  const behavior = generator.behavior ?? 'create';
  if (behavior !== 'create' && behavior !== 'merge') throw new KustomizeError(`${what}: behavior "${String(behavior)}" is not implemented`);
  const pairs: [string, string][] = [
    ...asList(`${what}.envs`, generator.envs).flatMap((file) => {
      const location = path.resolve(dir, asString(`${what}.envs`, file));
      return parseEnvFile(location, read(location));
    }),
    ...asList(`${what}.literals`, generator.literals).map((literal) => parseLiteral(`${what}.literals`, literal)),
  ];
  const data: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (key in data) throw new KustomizeError(`${what}: key ${key} is given twice`);
    data[key] = kind === 'Secret' ? Buffer.from(value, 'utf8').toString('base64') : value;
  }
  if (behavior === 'merge') {
    const existing = into.generated.find((g) => g.object.kind === kind && g.name === name);
    if (!existing) throw new KustomizeError(`${what}: nothing named ${name} to merge into`);
    existing.object.data = { ...(existing.object.data as Record<string, string>), ...data };
    return;
  }
  if (
    into.generated.some((g) => g.object.kind === kind && g.name === name) ||
    into.objects.some((o) => o.kind === kind && o.metadata.name === name)
  )
    throw new KustomizeError(`${what}: a ${kind} named ${name} exists already`);
  const object: KubeObject = { apiVersion: 'v1', kind, metadata: { name }, data };
  if (kind === 'Secret') object.type = generator.type ?? 'Opaque';
  into.objects.push(object);
  into.generated.push({ object, name });
}

/** Pod templates of the workloads this renderer knows (Deployment only: the kinds it meets). */
function podTemplates(object: KubeObject): Record<string, unknown>[] {
  if (object.kind !== 'Deployment') return [];
  const template = (object.spec as { template?: Record<string, unknown> } | undefined)?.template;
  return template ? [template] : [];
}

function containersOf(template: Record<string, unknown>): Record<string, unknown>[] {
  const spec = (template.spec ?? {}) as Record<string, unknown>;
  return [...((spec.initContainers as Record<string, unknown>[]) ?? []), ...((spec.containers as Record<string, unknown>[]) ?? [])];
}

function applyLabels(what: string, spec: unknown, objects: KubeObject[]): void {
  const entry = asObject(what, spec);
  refuseUnknown(what, entry, LABEL_FIELDS);
  if (entry.includeSelectors === true) throw new KustomizeError(`${what}: includeSelectors: true is not implemented`);
  const pairs = asObject(`${what}.pairs`, entry.pairs);
  for (const [key, value] of Object.entries(pairs)) asString(`${what}.pairs.${key}`, value);
  for (const object of objects) {
    object.metadata.labels = { ...object.metadata.labels, ...(pairs as Record<string, string>) };
    if (entry.includeTemplates === true) {
      for (const template of podTemplates(object)) {
        const metadata = (template.metadata ??= {}) as { labels?: Record<string, string> };
        metadata.labels = { ...metadata.labels, ...(pairs as Record<string, string>) };
      }
    }
  }
}

/** `name[:tag][@digest]` split as kustomize's image transformer does (a port in a registry host is not a tag). */
function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const [withoutDigest, digest] = image.split('@') as [string, string | undefined];
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > slash) return { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1), digest };
  return { name: withoutDigest, digest };
}

function applyImages(what: string, spec: unknown, objects: KubeObject[]): void {
  const entry = asObject(what, spec);
  refuseUnknown(what, entry, IMAGE_FIELDS);
  const name = asString(`${what}.name`, entry.name);
  for (const object of objects) {
    for (const template of podTemplates(object)) {
      for (const container of containersOf(template)) {
        const image = splitImage(String(container.image));
        if (image.name !== name) continue;
        const newName = entry.newName === undefined ? image.name : asString(`${what}.newName`, entry.newName);
        if (entry.digest !== undefined) container.image = `${newName}@${asString(`${what}.digest`, entry.digest)}`;
        else if (entry.newTag !== undefined) container.image = `${newName}:${asString(`${what}.newTag`, String(entry.newTag))}`;
        else
          container.image = `${newName}${image.tag === undefined ? '' : `:${image.tag}`}${image.digest === undefined ? '' : `@${image.digest}`}`;
      }
    }
  }
}

function accumulate(dir: string, read: (file: string) => string, visiting: string[]): Accumulated {
  const file = path.join(dir, 'kustomization.yaml');
  if (visiting.includes(file)) throw new KustomizeError(`${file}: includes itself (${visiting.join(' → ')})`);
  const kustomization = asObject(file, yaml.load(read(file), { filename: file }));
  refuseUnknown(file, kustomization, FIELDS);
  if (kustomization.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || kustomization.kind !== 'Kustomization')
    throw new KustomizeError(`${file}: must be apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization`);

  const result: Accumulated = { objects: [], generated: [] };
  for (const entry of asList(`${file} resources`, kustomization.resources)) {
    const target = path.resolve(dir, asString(`${file} resources`, entry));
    if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
      const inner = accumulate(target, read, [...visiting, file]);
      result.objects.push(...inner.objects);
      result.generated.push(...inner.generated);
    } else {
      result.objects.push(...readYamlDocuments(target, read(target)));
    }
  }
  asList(`${file} configMapGenerator`, kustomization.configMapGenerator).forEach((spec, i) =>
    generate(dir, 'ConfigMap', spec, i, read, result),
  );
  asList(`${file} secretGenerator`, kustomization.secretGenerator).forEach((spec, i) => generate(dir, 'Secret', spec, i, read, result));

  if (kustomization.namespace !== undefined) {
    const namespace = asString(`${file} namespace`, kustomization.namespace);
    for (const object of result.objects) object.metadata.namespace = namespace;
  }
  asList(`${file} labels`, kustomization.labels).forEach((spec, i) => applyLabels(`${file} labels[${i}]`, spec, result.objects));
  asList(`${file} images`, kustomization.images).forEach((spec, i) => applyImages(`${file} images[${i}]`, spec, result.objects));
  return result;
}

/** Renames the references of pod templates to generated ConfigMaps and Secrets. */
function renameReferences(objects: KubeObject[], renamed: Map<string, string>): void {
  const rename = (kind: 'ConfigMap' | 'Secret', holder: Record<string, unknown> | undefined, field: string) => {
    const current = holder?.[field];
    if (holder && typeof current === 'string') holder[field] = renamed.get(`${kind}/${current}`) ?? current;
  };
  for (const object of objects) {
    for (const template of podTemplates(object)) {
      const spec = (template.spec ?? {}) as Record<string, unknown>;
      for (const container of containersOf(template)) {
        for (const source of (container.envFrom as Record<string, Record<string, unknown>>[]) ?? []) {
          rename('ConfigMap', source.configMapRef, 'name');
          rename('Secret', source.secretRef, 'name');
        }
        for (const variable of (container.env as { valueFrom?: Record<string, Record<string, unknown>> }[]) ?? []) {
          rename('ConfigMap', variable.valueFrom?.configMapKeyRef, 'name');
          rename('Secret', variable.valueFrom?.secretKeyRef, 'name');
        }
      }
      for (const volume of (spec.volumes as Record<string, Record<string, unknown>>[]) ?? []) {
        rename('ConfigMap', volume.configMap, 'name');
        rename('Secret', volume.secret, 'secretName');
        for (const source of (volume.projected?.sources as Record<string, Record<string, unknown>>[]) ?? []) {
          rename('ConfigMap', source.configMap, 'name');
          rename('Secret', source.secret, 'name');
        }
      }
      for (const pullSecret of (spec.imagePullSecrets as Record<string, unknown>[]) ?? []) rename('Secret', pullSecret, 'name');
    }
  }
}

/** Renders the kustomization in `dir` (which holds kustomization.yaml) into its objects. */
export function renderKustomization(dir: string, options: RenderOptions = {}): KubeObject[] {
  const read =
    options.readFile ??
    ((file: string) => {
      if (!fs.existsSync(file)) throw new KustomizeError(`${file}: no such file`);
      return fs.readFileSync(file, 'utf8');
    });
  const { objects, generated } = accumulate(path.resolve(dir), read, []);
  const renamed = new Map<string, string>();
  for (const { object, name } of generated) {
    object.metadata.name = `${name}-${kustomizeHash(object)}`;
    renamed.set(`${object.kind}/${name}`, object.metadata.name);
  }
  renameReferences(objects, renamed);
  return objects;
}
