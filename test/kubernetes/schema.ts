/**
 * Checks Kubernetes objects against the API schemas of one Kubernetes version, strictly: the
 * vendored definitions (test/kubernetes/vendor, Kubernetes 1.34) become JSON Schemas in which an
 * object with declared properties accepts no other (a misspelt field is an error, as
 * `kubectl apply --validate=strict` reports it), checked with ajv.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { KubeObject } from './kustomize';

export const KUBERNETES_VERSION = '1.34';

type Schema = Record<string, unknown>;

const DEFINITIONS_FILE = path.join(__dirname, 'vendor', 'kubernetes-definitions.json');

/**
 * The conversions kubeconform's strict schemas (openapi2jsonschema --kubernetes --strict) make:
 * IntOrString is a string or an integer, a Quantity a string or a number, and every object
 * schema with properties and no additionalProperties of its own accepts no other field.
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const result: Schema = Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, key === 'properties' ? strictProperties(value) : strict(value)]),
  );
  if (result.properties && result.additionalProperties === undefined && !result['x-kubernetes-preserve-unknown-fields'])
    result.additionalProperties = false;
  return result;
}

function strictProperties(properties: unknown): unknown {
  return Object.fromEntries(Object.entries(properties as Schema).map(([name, value]) => [name, strict(value)]));
}

function definitions(): Record<string, Schema> {
  const { definitions: raw } = JSON.parse(fs.readFileSync(DEFINITIONS_FILE, 'utf8')) as { definitions: Record<string, Schema> };
  const converted = Object.fromEntries(Object.entries(raw).map(([name, schema]) => [name, strict(schema) as Schema]));
  converted['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
  converted['io.k8s.apimachinery.pkg.api.resource.Quantity'] = { oneOf: [{ type: 'string' }, { type: 'number' }] };
  return converted;
}

export interface KubernetesValidator {
  /** The problems of one object ("Deployment/name: /spec/... must NOT have additional properties (readinesProbe)"), empty when valid. */
  problems(object: KubeObject): string[];
  /** The kinds it knows, as `apiVersion kind`. */
  kinds: string[];
}

function describe(error: ErrorObject): string {
  const extra = error.params as { additionalProperty?: string; missingProperty?: string; allowedValues?: unknown[] };
  const detail = extra.additionalProperty ?? extra.missingProperty ?? (extra.allowedValues ? extra.allowedValues.join(', ') : undefined);
  return `${error.instancePath || '/'} ${error.message}${detail === undefined ? '' : ` (${detail})`}`;
}

export function kubernetesValidator(): KubernetesValidator {
  const all = definitions();
  // strict: false: the definitions carry Kubernetes' own x-kubernetes-* keywords and OpenAPI
  // formats (int32, int-or-string…) that JSON Schema does not define; the types are still checked.
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  ajv.addSchema({ $id: 'kubernetes', definitions: all });
  const byKind = new Map<string, ValidateFunction>();
  for (const [name, schema] of Object.entries(all)) {
    for (const gvk of (schema['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string }[] | undefined) ?? []) {
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      byKind.set(`${apiVersion} ${gvk.kind}`, ajv.compile({ $ref: `kubernetes#/definitions/${name}` }));
    }
  }
  return {
    kinds: [...byKind.keys()],
    problems(object) {
      const label = `${object.kind}/${object.metadata?.name}`;
      const validate = byKind.get(`${object.apiVersion} ${object.kind}`);
      if (!validate) return [`${label}: ${object.apiVersion} ${object.kind} is not a kind of Kubernetes ${KUBERNETES_VERSION} known here`];
      if (validate(object)) return [];
      return (validate.errors ?? []).map((error) => `${label}: ${describe(error)}`);
    },
  };
}
