import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import {
  buildSchema,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { createLogger } from '../common/logger';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';

/**
 * The input boundary (common/input-boundary.ts), probed from outside: every Query, Mutation and
 * Subscription argument of schema/public.graphql, walked through the real gateway as a portal
 * admin and anonymously, with a NUL byte or a lone surrogate in each String position and "" /
 * "not-a-uuid" in each ID position (inside input objects and lists too), the rest of the input
 * the smallest valid one the schema allows. No answer may be INTERNAL_SERVER_ERROR, the admin's
 * must be BAD_USER_INPUT naming the position, and no log line may carry a value that was sent or
 * any SQL.
 */

const SCHEMA = buildSchema(fs.readFileSync(path.join(__dirname, '..', 'schema', 'public.graphql'), 'utf8'));
/** Put into every bad text value: it must never reach a log line. */
const MARKER = `probe${randomUUID().slice(0, 8)}`;

type Bad = { kind: string; value: string };
const BAD_TEXT: Bad[] = [
  { kind: 'NUL', value: `${MARKER}\u0000x` },
  { kind: 'lone surrogate', value: `${MARKER}\ud800x` },
];
const BAD_ID: Bad[] = [
  { kind: 'empty id', value: '' },
  { kind: 'not a uuid', value: 'not-a-uuid' },
  { kind: 'low surrogate', value: `\udc00${MARKER}` },
];

/** The smallest valid value of a type (required fields only), or undefined when it may be left out. */
function minimal(type: GraphQLInputType, required: boolean): unknown {
  if (isNonNullType(type)) return minimal(type.ofType, true);
  if (!required) return undefined;
  if (isListType(type)) return [minimal(type.ofType, true)];
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && field.defaultValue === undefined) value[field.name] = minimal(field.type, true);
    }
    return value;
  }
  if (isEnumType(type)) return type.getValues()[0].value;
  switch (type.name) {
    case 'ID':
      return randomUUID();
    case 'String':
      return 'probe';
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTime':
      return new Date().toISOString();
    default:
      return {};
  }
}

interface Position {
  /** `input.productIds[0]`: what the error's `field` must say. */
  field: string;
  /** Sets the bad value into a copy of the minimal arguments. */
  set(args: Record<string, unknown>, value: string): void;
  scalar: 'String' | 'ID';
}

/** Every String and ID position reachable from an argument (optional ones too; lists get one item). */
function positions(
  type: GraphQLInputType,
  field: string,
  place: (args: Record<string, unknown>) => { container: Record<string, unknown> | unknown[]; key: string | number },
  depth = 0,
): Position[] {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (depth > 4) return [];
  if (isListType(inner)) {
    return positions(
      inner.ofType,
      `${field}[0]`,
      (args) => {
        const { container, key } = place(args);
        const list = [minimal(inner.ofType, true)];
        (container as Record<string | number, unknown>)[key] = list;
        return { container: list, key: 0 };
      },
      depth + 1,
    );
  }
  if (isInputObjectType(inner)) {
    return Object.values(inner.getFields()).flatMap((f) =>
      positions(
        f.type,
        `${field}.${f.name}`,
        (args) => {
          const { container, key } = place(args);
          const holder = container as Record<string | number, unknown>;
          if (holder[key] === undefined || holder[key] === null) holder[key] = minimal(inner, true);
          return { container: holder[key] as Record<string, unknown>, key: f.name };
        },
        depth + 1,
      ),
    );
  }
  const name = getNamedType(inner).name;
  if (name !== 'String' && name !== 'ID') return [];
  return [
    {
      field,
      scalar: name,
      set: (args, value) => {
        const { container, key } = place(args);
        (container as Record<string | number, unknown>)[key] = value;
      },
    },
  ];
}

interface Probe {
  root: 'Query' | 'Mutation' | 'Subscription';
  fieldName: string;
  position: Position;
  bad: Bad;
  document: string;
  variables: Record<string, unknown>;
}

function operationOf(root: Probe['root'], field: GraphQLField<unknown, unknown>): string {
  const defs = field.args.map((a: GraphQLArgument) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const selection = isCompositeType(getNamedType(field.type)) ? ' { __typename }' : '';
  return `${root.toLowerCase()} Probe${defs ? `(${defs})` : ''} { ${field.name}${args ? `(${args})` : ''}${selection} }`;
}

function probesOf(schema: GraphQLSchema): Probe[] {
  const probes: Probe[] = [];
  for (const root of ['Query', 'Mutation', 'Subscription'] as const) {
    const type = root === 'Query' ? schema.getQueryType() : root === 'Mutation' ? schema.getMutationType() : schema.getSubscriptionType();
    for (const field of Object.values(type?.getFields() ?? {})) {
      const document = operationOf(root, field);
      for (const arg of field.args) {
        for (const position of positions(arg.type, arg.name, (args) => ({ container: args, key: arg.name }))) {
          for (const bad of position.scalar === 'ID' ? BAD_ID : BAD_TEXT) {
            const variables: Record<string, unknown> = {};
            for (const a of field.args) {
              const value = minimal(a.type, false);
              if (value !== undefined) variables[a.name] = value;
            }
            position.set(variables, bad.value);
            probes.push({ root, fieldName: field.name, position, bad, document, variables });
          }
        }
      }
    }
  }
  return probes;
}

type Answer = { code: string; field?: string };

describe('input boundary: schema-driven probe through the gateway', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  let platform: TestPlatform;
  const admin: Identity = portalAdmin();
  const probes = probesOf(SCHEMA);

  beforeAll(async () => {
    platform = await startPlatform({
      gatewayEnv: { ...process.env, PLATFORM_RATE_LIMIT: '0/60' },
      logger: (name) => createLogger(name, 'info', sink),
    });
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  async function subscribe(probe: Probe, identity: Identity | null): Promise<Answer[]> {
    const client = createClient({
      url: platform.wsUrl,
      webSocketImpl: WebSocket,
      lazy: true,
      retryAttempts: 0,
      connectionParams: identity ? { authorization: `Bearer ${tokenFor(identity)}` } : {},
    });
    try {
      return await new Promise<Answer[]>((resolve) => {
        const answers: Answer[] = [];
        const unsubscribe = client.subscribe(
          { query: probe.document, variables: probe.variables },
          {
            next: (result) => {
              for (const e of result.errors ?? [])
                answers.push({ code: String(e.extensions?.code), field: e.extensions?.field as string | undefined });
              unsubscribe();
              resolve(answers);
            },
            error: (error) => {
              const errors = Array.isArray(error) ? error : [error];
              resolve(
                errors.map((e: { extensions?: Record<string, unknown>; message?: string; code?: number }) => ({
                  code: String(e.extensions?.code ?? e.code ?? e.message),
                  field: e.extensions?.field as string | undefined,
                })),
              );
            },
            complete: () => resolve(answers),
          },
        );
      });
    } finally {
      await client.dispose();
    }
  }

  async function ask(probe: Probe, identity: Identity | null): Promise<Answer[]> {
    if (probe.root === 'Subscription') return subscribe(probe, identity);
    const response = await gatewayRequest(platform.gatewayUrl, probe.document, probe.variables, identity);
    return (response.errors ?? []).map((e) => ({ code: String(e.extensions?.code), field: e.extensions?.field }));
  }

  it('covers every root field with a String or ID argument', () => {
    const probed = new Set(probes.map((p) => `${p.root}.${p.fieldName}`));
    const expected: string[] = [];
    for (const type of [SCHEMA.getQueryType(), SCHEMA.getMutationType(), SCHEMA.getSubscriptionType()]) {
      for (const field of Object.values(type?.getFields() ?? {})) {
        if (field.args.some((a) => positions(a.type, a.name, (args) => ({ container: args, key: a.name })).length))
          expected.push(`${type!.name}.${field.name}`);
      }
    }
    expect(expected.filter((f) => !probed.has(f))).toEqual([]);
    expect(probes.length).toBeGreaterThan(300);
  });

  it('answers every bad String and ID with BAD_USER_INPUT naming it, never INTERNAL_SERVER_ERROR', async () => {
    const internal: string[] = [];
    const unnamed: string[] = [];
    const tally: Record<string, number> = {};
    for (const [caller, identity] of [
      ['portal admin', admin],
      ['anonymous', null],
    ] as const) {
      for (const probe of probes) {
        const answers = await ask(probe, identity);
        const label = `${caller} ${probe.root}.${probe.fieldName} ${probe.position.field} (${probe.bad.kind}): ${JSON.stringify(answers)}`;
        for (const a of answers) tally[a.code] = (tally[a.code] ?? 0) + 1;
        if (!answers.length || answers.some((a) => a.code === 'INTERNAL_SERVER_ERROR' || a.code === 'undefined')) internal.push(label);
        // Anonymous callers may be turned away first (UNAUTHENTICATED at the gateway): that reaches no SQL either.
        const named = answers.some((a) => a.code === 'BAD_USER_INPUT' && a.field === probe.position.field);
        if (!named && (identity || !answers.every((a) => a.code === 'UNAUTHENTICATED'))) unnamed.push(label);
      }
    }

    console.log(`input probe: ${probes.length} probes × 2 callers; answers by code ${JSON.stringify(tally)}`);
    expect(internal).toEqual([]);
    expect(unnamed).toEqual([]);

    const log = lines.join('');
    expect(log).not.toContain(MARKER);
    expect(log).not.toMatch(/not-a-uuid/);
    expect(log).not.toMatch(/\b(?:insert\s+into|delete\s+from)\b|\bselect\b[^\n]*\bfrom\b|\bupdate\s+"/i);
    expect(log).not.toMatch(/DriverException|unexpected error/);
  }, 600_000);

  it('checks literals written inline and values in nested fields the same way', async () => {
    const inline = await gatewayRequest(platform.gatewayUrl, `{ products(filter: { search: "a\\u0000b" }) { totalCount } }`, {}, null);
    expect(inline.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.search' });
    const slug = await gatewayRequest(platform.gatewayUrl, `query($s: String) { product(slug: $s) { id } }`, { s: 'x\ud800' }, null);
    expect(slug.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'slug' });
    const assign = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: AssignProviderInput!) { assignProvider(input: $i) { __typename } }`,
      { i: { providerId: randomUUID(), planId: '' } },
      admin,
    );
    expect(assign.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.planId' });
    // A nested field's argument (the cursor of Catalog.products), reached through the gateway.
    const nested = await gatewayRequest(
      platform.gatewayUrl,
      `{ catalogs { edges { node { products(after: "x\\u0000") { totalCount } } } } }`,
      {},
      admin,
    );
    expect(nested.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    // Well-formed text with astral characters (a valid surrogate pair) passes.
    const emoji = await gatewayRequest(
      platform.gatewayUrl,
      `query($s: String) { products(filter: { search: $s }) { totalCount } }`,
      { s: 'rocket 🚀' },
      null,
    );
    expect(emoji.errors).toBeUndefined();
  });
});
