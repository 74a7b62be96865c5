import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, tokenFor, type GraphQLResponse } from './helpers/graphql';

/**
 * Bad requests through the real gateway: every error carries a stable `extensions.code`, and
 * errors about input name the client's own variables and arguments (`extensions.field`), never
 * the variables the gateway invents when it forwards an operation to a subgraph.
 */
describe('client errors through the gateway', () => {
  let platform: TestPlatform;
  const admin = portalAdmin();

  beforeAll(async () => {
    platform = await startPlatform();
  });
  afterAll(async () => {
    await platform?.stop();
  });

  const send = (query: string, variables: Record<string, unknown> = {}) => gatewayRequest(platform.gatewayUrl, query, variables, admin);
  const only = (r: GraphQLResponse) => {
    expect(r.errors).toHaveLength(1);
    return r.errors![0];
  };
  const CREATE_PLAN = 'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } errors { code } } }';

  describe('variables the gateway coerces', () => {
    it('a value of the wrong type is BAD_USER_INPUT naming the variable', async () => {
      const r = await send('query($first: Int) { plans(first: $first) { totalCount } }', { first: 1.5 });
      expect(r.status).toBe(400);
      expect(only(r)).toMatchObject({
        message: 'Variable "$first" got invalid value 1.5; Int cannot represent non-integer value: 1.5',
        extensions: { code: 'BAD_USER_INPUT', field: 'first' },
      });
    });

    it('a missing required input field names the path to it', async () => {
      const r = await send(CREATE_PLAN, { input: { name: 'p', displayName: 'P', quota: { requests: 5 } } });
      expect(only(r)).toMatchObject({
        message: expect.stringMatching(
          /^Variable "\$input" got invalid value .* at "input\.quota"; Field "period" of required type "QuotaPeriod!" was not provided\.$/,
        ),
        extensions: { code: 'BAD_USER_INPUT', field: 'input.quota.period' },
      });
    });

    it('an unknown input field names the path to it', async () => {
      const r = await send(CREATE_PLAN, { input: { name: 'p', displayName: 'P', colour: 'red' } });
      expect(only(r)).toMatchObject({
        message: expect.stringMatching(
          /^Variable "\$input" got invalid value .*; Field "colour" is not defined by type "CreatePlanInput"\./,
        ),
        extensions: { code: 'BAD_USER_INPUT', field: 'input.colour' },
      });
    });

    it('a bad list item and a bad enum value name their paths', async () => {
      const r = await send('query($f: PlanFilter) { plans(filter: $f) { totalCount } }', { f: { status: ['PUBLISHED', 'SOLD_OUT'] } });
      expect(only(r)).toMatchObject({
        message: expect.stringMatching(
          /^Variable "\$f" got invalid value "SOLD_OUT" at "f\.status\[1\]"; Value "SOLD_OUT" does not exist in "PlanStatus" enum\./,
        ),
        extensions: { code: 'BAD_USER_INPUT', field: 'f.status[1]' },
      });
    });

    it('a required variable that was not sent, or sent as null, names it', async () => {
      expect(only(await send(CREATE_PLAN))).toMatchObject({
        message: 'Variable "$input" of required type "CreatePlanInput!" was not provided.',
        extensions: { code: 'BAD_USER_INPUT', field: 'input' },
      });
      expect(only(await send(CREATE_PLAN, { input: null }))).toMatchObject({
        message: 'Variable "$input" of non-null type "CreatePlanInput!" must not be null.',
        extensions: { code: 'BAD_USER_INPUT', field: 'input' },
      });
    });

    it('reports every bad variable, and runs nothing', async () => {
      const r = await send('query($first: Int, $after: String) { plans(first: $first, after: $after) { totalCount } }', {
        first: 'ten',
        after: 7,
      });
      expect(r.data).toBeUndefined();
      expect(r.errors!.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([
        ['BAD_USER_INPUT', 'first'],
        ['BAD_USER_INPUT', 'after'],
      ]);
    });

    it('a subscription with a bad variable is refused the same way over graphql-ws', async () => {
      const client = createClient({
        url: platform.wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams: { authorization: `Bearer ${tokenFor(developer())}` },
      });
      try {
        const errors = await new Promise<readonly { message: string; extensions?: Record<string, unknown> }[]>((resolve, reject) => {
          client.subscribe(
            { query: 'subscription($org: ID) { accessRequestEvents(organizationId: $org) { type } }', variables: { org: { id: 1 } } },
            {
              next: (r) => (r.errors ? resolve(r.errors) : reject(new Error(`unexpected event ${JSON.stringify(r)}`))),
              error: (e) => (Array.isArray(e) ? resolve(e) : reject(e)),
              complete: () => reject(new Error('completed without an error')),
            },
          );
        });
        expect(errors[0]).toMatchObject({
          message: expect.stringMatching(/^Variable "\$org" got invalid value/),
          extensions: { code: 'BAD_USER_INPUT', field: 'org' },
        });
      } finally {
        await client.dispose();
      }
    });
  });

  describe('values written inline', () => {
    it('a literal of the wrong type names the argument', async () => {
      expect(only(await send('{ plans(first: 1.5) { totalCount } }'))).toMatchObject({
        message: 'Argument "first" of "plans" has an invalid value: Int cannot represent non-integer value: 1.5',
        extensions: { code: 'BAD_USER_INPUT', field: 'first' },
      });
    });

    it('an unknown and a missing input field name their paths', async () => {
      const unknown = only(
        await send('mutation { createPlan(input: { name: "p", displayName: "P", colour: "red" }) { errors { code } } }'),
      );
      expect(unknown).toMatchObject({
        message: expect.stringMatching(
          /^Argument "input" of "createPlan" has an invalid value at "input\.colour": Field "colour" is not defined by type "CreatePlanInput"\./,
        ),
        extensions: { code: 'BAD_USER_INPUT', field: 'input.colour' },
      });
      const missing = only(
        await send('mutation { createPlan(input: { name: "p", displayName: "P", quota: { requests: 5 } }) { errors { code } } }'),
      );
      expect(missing).toMatchObject({
        message: expect.stringMatching(
          /^Argument "input" of "createPlan" has an invalid value at "input\.quota": .*"QuotaPeriod!" was not provided\./,
        ),
        extensions: { code: 'BAD_USER_INPUT', field: 'input.quota.period' },
      });
    });

    it('other validation errors stay GRAPHQL_VALIDATION_FAILED', async () => {
      expect(only(await send('{ viewr { subject } }')).extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
      expect(only(await send('query($x: String) { plans(first: $x) { totalCount } }')).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });
  });

  describe('custom scalars checked by the subgraph that owns them', () => {
    const RANGE_END = '2026-01-01T00:00:00Z';

    it('names the client variable, not the one the query planner made up', async () => {
      const r = await send('query($from: DateTime!, $to: DateTime!) { unmatchedUsage(from: $from, to: $to) { requests } }', {
        from: 'yesterday',
        to: RANGE_END,
      });
      const error = only(r);
      expect(error.message).not.toMatch(/_unmatchedUsage_/);
      expect(error).toMatchObject({
        message: 'Variable "$from" got invalid value "yesterday"; DateTime cannot represent an invalid date-time-string yesterday.',
        path: ['unmatchedUsage'],
        extensions: { code: 'BAD_USER_INPUT', field: 'from' },
      });
    });

    it('follows the client variable through aliases and other names', async () => {
      const r = await send('query($start: DateTime!) { range: unmatchedUsage(from: $start, to: "2026-01-01T00:00:00Z") { requests } }', {
        start: 'soon',
      });
      expect(only(r)).toMatchObject({
        message: expect.stringMatching(/^Variable "\$start" got invalid value "soon"; /),
        extensions: { code: 'BAD_USER_INPUT', field: 'start' },
      });
    });

    it('names the argument when the value is written inline', async () => {
      const r = await send('{ unmatchedUsage(from: "yesterday", to: "2026-01-01T00:00:00Z") { requests } }');
      expect(only(r)).toMatchObject({
        message:
          'Argument "from" of "unmatchedUsage" got invalid value "yesterday"; DateTime cannot represent an invalid date-time-string yesterday.',
        extensions: { code: 'BAD_USER_INPUT', field: 'from' },
      });
      expect(r.errors![0].message).not.toMatch(/\$/);
    });

    it('gives the path inside an input object, whether it is a variable, a field of a literal or a variable in a literal', async () => {
      const whole = only(await send('query($f: AuditLogFilter) { auditLog(filter: $f) { totalCount } }', { f: { from: 'nope' } }));
      expect(whole).toMatchObject({
        message: expect.stringMatching(/^Variable "\$f" got invalid value "nope" at "f\.from"; DateTime cannot represent/),
        extensions: { code: 'BAD_USER_INPUT', field: 'f.from' },
      });
      const inline = only(await send('{ auditLog(filter: { from: "nope" }) { totalCount } }'));
      expect(inline).toMatchObject({
        message: expect.stringMatching(
          /^Argument "filter" of "auditLog" got invalid value "nope" at "filter\.from"; DateTime cannot represent/,
        ),
        extensions: { code: 'BAD_USER_INPUT', field: 'filter.from' },
      });
      const nested = only(await send('query($since: DateTime) { auditLog(filter: { from: $since }) { totalCount } }', { since: 'nope' }));
      expect(nested).toMatchObject({
        message: expect.stringMatching(/^Variable "\$since" got invalid value "nope"; DateTime cannot represent/),
        extensions: { code: 'BAD_USER_INPUT', field: 'since' },
      });
    });

    it('reads the same whichever query planner the gateway runs (Rust or JavaScript)', async () => {
      const planner = process.env.GATEWAY_QUERY_PLANNER === 'javascript' ? 'rust' : 'javascript';
      const other = await platform.extraGateway({ ...process.env, GATEWAY_QUERY_PLANNER: planner });
      const cases: [string, Record<string, unknown>][] = [
        [
          'query($from: DateTime!, $to: DateTime!) { unmatchedUsage(from: $from, to: $to) { requests } }',
          { from: 'yesterday', to: RANGE_END },
        ],
        ['query($start: DateTime!) { range: unmatchedUsage(from: $start, to: "2026-01-01T00:00:00Z") { requests } }', { start: 'soon' }],
        ['{ unmatchedUsage(from: "2026-01-01T00:00:00Z", to: "later") { requests } }', {}],
        ['{ auditLog(filter: { from: "nope" }) { totalCount } }', {}],
        ['query($f: AuditLogFilter) { auditLog(filter: $f) { totalCount } }', { f: { from: 'nope' } }],
        ['query($since: DateTime) { auditLog(filter: { from: $since }) { totalCount } }', { since: 'nope' }],
      ];
      const seen = (r: GraphQLResponse) =>
        r.errors?.map((e) => ({ message: e.message, path: e.path, code: e.extensions?.code, field: e.extensions?.field }));
      for (const [query, variables] of cases) {
        const [ours, theirs] = await Promise.all([send(query, variables), gatewayRequest(other.url, query, variables, admin)]);
        expect({ query, errors: seen(theirs) }).toEqual({ query, errors: seen(ours) });
        expect(seen(ours)).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: expect.any(String) })]);
      }
    });
  });

  describe('requests refused before they run', () => {
    it('a bad token is UNAUTHENTICATED, whether malformed, forged or expired', async () => {
      const post = async (authorization: string) => {
        const response = await fetch(platform.gatewayUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ query: '{ viewer { id } }' }),
        });
        return { status: response.status, body: (await response.json()) as GraphQLResponse };
      };
      for (const authorization of ['Bearer not-a-jwt', 'Basic dXNlcjpwYXNz', `Bearer ${tokenFor(developer(), -60)}`]) {
        const { status, body } = await post(authorization);
        expect({ authorization, status, code: body.errors?.[0].extensions?.code }).toEqual({
          authorization,
          status: expect.any(Number),
          code: 'UNAUTHENTICATED',
        });
        expect(status).toBeGreaterThanOrEqual(400);
      }
    });

    it('gives every refusal a code: parse errors, unknown operations, bad request bodies', async () => {
      const raw = async (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
        const response = await fetch(platform.gatewayUrl, { method: 'POST', headers, body });
        return (await response.json()) as GraphQLResponse;
      };
      const cases: [string, Promise<GraphQLResponse>][] = [
        ['GRAPHQL_PARSE_FAILED', raw(JSON.stringify({ query: '{ viewer { id }' }))],
        ['OPERATION_RESOLUTION_FAILURE', raw(JSON.stringify({ query: 'query A { viewer { id } }', operationName: 'B' }))],
        ['BAD_REQUEST', raw('{"query": ')],
        ['BAD_REQUEST', raw(JSON.stringify({ variables: {} }))],
        ['BAD_REQUEST', raw(JSON.stringify({ query: '{ viewer { id } }', variables: 'first=1' }))],
      ];
      for (const [code, pending] of cases) {
        const body = await pending;
        expect(body.errors?.length).toBeGreaterThan(0);
        for (const error of body.errors!)
          expect({ message: error.message, code: error.extensions?.code }).toEqual({ message: error.message, code });
      }
    });
  });
});
