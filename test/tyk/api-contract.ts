/**
 * Contract checks for every request a provider client sent, API definitions included: the
 * Gateway's `PUT /tyk/apis/oas/{id}` body refers to Tyk's OAS schema by URL (not vendored), so
 * its `x-tyk-api-gateway` part is checked against the vendored `TykVendorExtension` schema; the
 * Dashboard's API definition bodies against the same `APIDefinition` / `TykVendorExtension`
 * schemas; everything else as `contractProblems` checks it.
 */
import { checkDashboardRequest, checkGatewayRequest, findOperation, validate, type CheckedRequest, type OpenApiSpec } from './openapi';

const OAS_EXTENSION = { $ref: '#/components/schemas/TykVendorExtension' };
const CLASSIC = { $ref: '#/components/schemas/APIDefinition' };

function oasProblems(spec: OpenApiSpec, where: string, body: unknown): string[] {
  if (!body || typeof body !== 'object') return [`${where}: body is not an object`];
  const doc = body as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof doc.openapi !== 'string' || !doc.info || typeof doc.paths !== 'object')
    problems.push(`${where}: not an OpenAPI document (openapi, info, paths)`);
  problems.push(
    ...validate(spec, OAS_EXTENSION, { 'x-tyk-api-gateway': doc['x-tyk-api-gateway'] }, '$', { strict: true }).map((p) => `${where} ${p}`),
  );
  return problems;
}

export function apiContractProblems(spec: OpenApiSpec, requests: (CheckedRequest & { fault?: string })[]): string[] {
  const problems: string[] = [];
  for (const request of requests) {
    if (request.fault || request.status === 401 || request.status === 403) continue;
    const where = `${request.method} ${request.path}`;
    if (request.api === 'gateway') {
      if (request.path.startsWith('/tyk/apis/oas/') && request.body !== undefined) {
        if (!findOperation(spec, request.method, request.path)) problems.push(`${where}: no such operation in swagger.yml`);
        problems.push(...oasProblems(spec, where, request.body));
      } else problems.push(...checkGatewayRequest(spec, request, { responses: false }));
    } else if (request.api === 'dashboard') {
      if (request.body === undefined) continue;
      if (request.path.startsWith('/api/apis/oas/')) problems.push(...oasProblems(spec, where, request.body));
      else if (request.path.startsWith('/api/apis/'))
        problems.push(
          ...validate(spec, CLASSIC, (request.body as Record<string, unknown>)?.api_definition, '$.api_definition', { strict: true }).map(
            (p) => `${where} ${p}`,
          ),
        );
      else problems.push(...checkDashboardRequest(spec, request));
    }
  }
  return problems;
}
