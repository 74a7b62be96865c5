/**
 * A small reader of Tyk's published OpenAPI 3.0 file (`./vendor/tyk-gateway-openapi.yml`):
 * finds the operation for a method and path, and validates JSON values against its schemas
 * (`$ref`, type, format int64, nullable, enum, properties, additionalProperties, items,
 * allOf/anyOf/oneOf). Strict mode also reports properties a schema does not declare, so a field
 * the provider client sends that Tyk does not know is caught.
 */
import fs from 'node:fs';
import path from 'node:path';

import yaml from 'js-yaml';

export type Schema = Record<string, any>;

export interface OpenApiSpec {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, Schema>; parameters?: Record<string, any> };
}

/**
 * Tyk Gateway's `swagger.yml` (v5.14.0), vendored unmodified with its MPL-2.0 notice: see
 * `./vendor/README.md`. `TYK_SWAGGER_PATH` checks against another version of the file.
 */
export const SWAGGER_PATH = process.env.TYK_SWAGGER_PATH || path.resolve(__dirname, 'vendor/tyk-gateway-openapi.yml');

export function loadSpec(file = SWAGGER_PATH): OpenApiSpec {
  return yaml.load(fs.readFileSync(file, 'utf8')) as OpenApiSpec;
}

export interface Operation {
  template: string;
  method: string;
  operation: Record<string, any>;
  parameters: Record<string, any>[];
}

/** The operation serving `method path` (path params matched by template). */
export function findOperation(spec: OpenApiSpec, method: string, requestPath: string): Operation | null {
  const segments = requestPath.split('/');
  const candidates = Object.keys(spec.paths).filter((template) => {
    const parts = template.split('/');
    return parts.length === segments.length && parts.every((part, i) => /^\{.+\}$/.test(part) || part === segments[i]);
  });
  // Prefer the most literal template (`/tyk/keys/policy/{keyID}` over `/tyk/keys/{keyID}/...`).
  candidates.sort((a, b) => ((b.match(/\{/g)?.length ?? 0) < (a.match(/\{/g)?.length ?? 0) ? 1 : -1));
  for (const template of candidates) {
    const item = spec.paths[template];
    const operation = item[method.toLowerCase()];
    if (operation)
      return {
        template,
        method,
        operation,
        parameters: [...(item.parameters ?? []), ...(operation.parameters ?? [])].map((p) => resolve(spec, p)),
      };
  }
  return null;
}

export function resolve(spec: OpenApiSpec, schema: Schema): Schema {
  let current = schema;
  for (let depth = 0; current && typeof current.$ref === 'string'; depth++) {
    if (depth > 20) throw new Error(`$ref loop at ${schema.$ref}`);
    const parts = (current.$ref as string).replace(/^#\//, '').split('/');
    current = parts.reduce((node: any, key) => node?.[key], spec);
    if (!current) throw new Error(`unresolved $ref ${schema.$ref}`);
  }
  return current;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Problems of `value` against `schema` (empty when valid). */
export function validate(spec: OpenApiSpec, schemaOrRef: Schema, value: unknown, at = '$', options: { strict?: boolean } = {}): string[] {
  const schema = resolve(spec, schemaOrRef);
  const problems: string[] = [];
  if (value === null) {
    if (!schema.nullable && schema.type) problems.push(`${at}: null is not allowed`);
    return problems;
  }
  if (schema.allOf) for (const part of schema.allOf) problems.push(...validate(spec, part, value, at, options));
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (!schema[key]) continue;
    const fits = (schema[key] as Schema[]).filter((part) => validate(spec, part, value, at, options).length === 0).length;
    if (key === 'anyOf' ? fits === 0 : fits !== 1) problems.push(`${at}: matches ${fits} of the ${key} alternatives`);
  }
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  const actual = typeOf(value);
  switch (schema.type) {
    case undefined:
      break;
    case 'integer':
      if (actual !== 'integer') problems.push(`${at}: expected integer, got ${actual}`);
      break;
    case 'number':
      if (actual !== 'integer' && actual !== 'number') problems.push(`${at}: expected number, got ${actual}`);
      break;
    case 'string':
    case 'boolean':
      if (actual !== schema.type) problems.push(`${at}: expected ${schema.type}, got ${actual}`);
      break;
    case 'array':
      if (actual !== 'array') problems.push(`${at}: expected array, got ${actual}`);
      else if (schema.items)
        (value as unknown[]).forEach((item, i) => problems.push(...validate(spec, schema.items, item, `${at}[${i}]`, options)));
      break;
    case 'object': {
      if (actual !== 'object') {
        problems.push(`${at}: expected object, got ${actual}`);
        break;
      }
      const properties: Record<string, Schema> = schema.properties ?? {};
      for (const required of schema.required ?? []) if (!(required in (value as object))) problems.push(`${at}.${required}: required`);
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (properties[key]) problems.push(...validate(spec, properties[key], item, `${at}.${key}`, options));
        else if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
          problems.push(...validate(spec, schema.additionalProperties, item, `${at}.${key}`, options));
        else if (
          schema.additionalProperties === false ||
          (options.strict && schema.properties && schema.additionalProperties === undefined)
        )
          problems.push(`${at}.${key}: not declared by the schema`);
      }
      break;
    }
    default:
      problems.push(`${at}: unsupported schema type ${schema.type}`);
  }
  return problems;
}

/** A query string value against a parameter schema (`true` for boolean, enum values, …). */
export function validateQueryValue(spec: OpenApiSpec, schema: Schema, raw: string): string[] {
  const resolved = resolve(spec, schema);
  if (resolved.type === 'boolean') return raw === 'true' || raw === 'false' ? [] : [`expected true or false, got ${raw}`];
  if (resolved.type === 'integer' || resolved.type === 'number')
    return Number.isFinite(Number(raw)) ? [] : [`expected a number, got ${raw}`];
  return validate(spec, resolved, raw);
}

/** The shape of a request the Tyk test server recorded (see server.ts). */
export interface CheckedRequest {
  api: string;
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  response?: unknown;
}

/**
 * Problems of one Gateway request (and the answer to it) against the OpenAPI file: the operation
 * exists, query parameters are declared and valid, the body matches the request schema with no
 * undeclared fields, the status is documented and the answer matches its schema.
 */
export function checkGatewayRequest(spec: OpenApiSpec, request: CheckedRequest, options: { responses?: boolean } = {}): string[] {
  const problems: string[] = [];
  const where = `${request.method} ${request.path}`;
  const found = findOperation(spec, request.method, request.path);
  if (!found) return [`${where}: no such operation in swagger.yml`];
  for (const [name, value] of Object.entries(request.query)) {
    const parameter = found.parameters.find((p) => p.in === 'query' && p.name === name);
    if (!parameter) problems.push(`${where}: query parameter ${name} is not declared`);
    else problems.push(...validateQueryValue(spec, parameter.schema, value).map((p) => `${where} ?${name}: ${p}`));
  }
  const bodySchema = found.operation.requestBody?.content?.['application/json']?.schema;
  if (request.body !== undefined && !bodySchema) problems.push(`${where}: sends a body the operation does not take`);
  if (bodySchema && request.body !== undefined)
    problems.push(...validate(spec, bodySchema, request.body, '$', { strict: true }).map((p) => `${where} body ${p}`));
  if (options.responses ?? true) {
    const responseSchema = found.operation.responses?.[String(request.status)]?.content?.['application/json']?.schema;
    if (!responseSchema) problems.push(`${where}: status ${request.status} is not documented`);
    else problems.push(...validate(spec, responseSchema, request.response, '$', { strict: true }).map((p) => `${where} response ${p}`));
  }
  return problems;
}

/** Dashboard request bodies against the same Policy / SessionState schemas (the Dashboard's file is not stored here). */
export function checkDashboardRequest(spec: OpenApiSpec, request: CheckedRequest): string[] {
  if (request.body === undefined) return [];
  const where = `${request.method} ${request.path}`;
  const schema = request.path.startsWith('/api/portal/policies')
    ? '#/components/schemas/Policy'
    : request.path.startsWith('/api/keys')
      ? '#/components/schemas/SessionState'
      : null;
  if (!schema) return [`${where}: unexpected body`];
  return validate(spec, { $ref: schema }, request.body, '$', { strict: true }).map((p) => `${where} ${p}`);
}

/** Problems of every request a provider client sent to a test server (faults and auth failures skipped). */
export function contractProblems(spec: OpenApiSpec, requests: CheckedRequest[]): string[] {
  return requests
    .filter((r) => r.api === 'gateway' || r.api === 'dashboard')
    .flatMap((r) => (r.api === 'gateway' ? checkGatewayRequest(spec, r, { responses: false }) : checkDashboardRequest(spec, r)));
}
