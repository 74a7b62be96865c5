/**
 * The README's examples work exactly as written. Every ```graphql block of README.md runs, in
 * order and as its text stands, against a freshly started platform (a database of its own, so the
 * README's fixed names are free), through the gateway: queries and mutations over HTTP,
 * subscriptions over graphql-ws with an event triggered for each. The token is the one the
 * README's `npm run token` line prints. Variables are threaded from earlier results through the
 * explicit table below; a block with a variable the table does not know fails.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import MarkdownIt from 'markdown-it';
import WebSocket from 'ws';
import jwt from 'jsonwebtoken';
import { createClient, type Client } from 'graphql-ws';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { gatewayRequest, type GraphQLResponse, type Identity } from './helpers/graphql';
import { freshDatabase } from './helpers/db';
import { waitFor } from './helpers/wait';
import { jwtConfig } from '../common/config';
import { projectRoot } from '../scripts/paths';
import { raiseQuotaWarning } from './kit/quota-warnings';
import { QuotaWarningKind } from '../subgraphs/usage/entities/quota-warning';

const README = path.join(projectRoot(), 'README.md');

/**
 * Where each variable of a README block comes from: a path in the `data` of an earlier block.
 * The README says so in prose ("`$productId` is the product's id from above").
 */
const VARIABLES: Record<string, string> = {
  productId: 'createProduct.product.id',
  catalogId: 'createCatalog.catalog.id',
  organizationId: 'createOrganization.organization.id',
};

/** Operations the README runs without a token ("even without a token"); all others use alice's. */
const ANONYMOUS_OPERATIONS = new Set(['PublicCatalogue']);

/** The README's token command and who it makes (the blocks run as that caller). */
const TOKEN_COMMAND = /^npm run token -- (.+)$/m;
/** bob: the organization admin the README's CreateOrganization names; triggers access events. */
const BOB: Identity = { sub: 'bob', roles: [], email: 'bob@example.com' };

interface Block {
  index: number;
  text: string;
  operation: OperationDefinitionNode;
  label: string;
}

function readBlocks(): { blocks: Block[]; shell: string[] } {
  const tokens = new MarkdownIt().parse(fs.readFileSync(README, 'utf8'), {});
  const fences = tokens.filter((t) => t.type === 'fence');
  const blocks = fences
    .filter((t) => t.info.trim() === 'graphql')
    .map((t, index) => {
      const document = parse(t.content);
      const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      if (operations.length !== 1)
        throw new Error(`README graphql block ${index + 1} must hold exactly one operation, not ${operations.length}`);
      const [operation] = operations;
      return { index, text: t.content, operation, label: `${operation.operation} ${operation.name?.value ?? '(anonymous)'}` };
    });
  const shell = fences.filter((t) => t.info.trim() === 'sh').map((t) => t.content);
  return { blocks, shell };
}

const { blocks, shell } = readBlocks();

function at(data: unknown, dotted: string): unknown {
  return dotted
    .split('.')
    .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), data);
}

/** Every non-empty `errors` list inside a result's data (mutation payloads' UserErrors). */
function payloadErrors(data: unknown, where = 'data'): string[] {
  if (!data || typeof data !== 'object') return [];
  if (Array.isArray(data)) return data.flatMap((item, i) => payloadErrors(item, `${where}[${i}]`));
  return Object.entries(data as Record<string, unknown>).flatMap(([key, value]) =>
    key === 'errors' && Array.isArray(value) && value.length > 0
      ? [`${where}.errors: ${JSON.stringify(value)}`]
      : payloadErrors(value, `${where}.${key}`),
  );
}

describe('README examples', () => {
  let platform: TestPlatform;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let token: string;
  const captured: Record<string, unknown> = {};
  const results = new Map<string, GraphQLResponse>();
  const clients: Client[] = [];

  /** The variables a block declares, from the table and what earlier blocks returned. */
  function variablesOf(block: Block): Record<string, unknown> {
    const variables: Record<string, unknown> = {};
    for (const definition of block.operation.variableDefinitions ?? []) {
      const name = definition.variable.name.value;
      const source = VARIABLES[name];
      if (!source)
        throw new Error(
          `README block ${block.index + 1} (${block.label}) uses $${name}, which this test does not know: add where it comes from to VARIABLES`,
        );
      if (captured[name] === undefined)
        throw new Error(`README block ${block.index + 1} (${block.label}) uses $${name}, but no earlier block returned ${source}`);
      variables[name] = captured[name];
    }
    return variables;
  }

  function capture(data: unknown): void {
    for (const [name, source] of Object.entries(VARIABLES)) {
      const value = at(data, source);
      if (value !== undefined && value !== null) captured[name] = value;
    }
  }

  async function bobMutation(field: string, inputType: string, input: Record<string, unknown>, select: string): Promise<any> {
    const r = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: ${inputType}!) { ${field}(input: $i) { ${select} errors { code field message } } }`,
      { i: input },
      BOB,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data[field].errors).toEqual([]);
    return r.data[field];
  }

  /**
   * Makes the subscription's event happen, once per call; the caller repeats it until an event
   * arrives (the first may come before the subscription is live behind the gateway).
   */
  let probe = 0;
  const TRIGGERS: Record<string, () => Promise<void>> = {
    quotaWarnings: async () => {
      const usage = platform.subgraphs.usage!;
      probe++;
      await raiseQuotaWarning(usage.orm.em.fork(), usage.pubsub, {
        organizationId: captured.organizationId as string,
        kind: QuotaWarningKind.SOFT,
        thresholdPercent: 80,
        used: 80_000,
        limit: 100_000,
        // A window of its own per call, so no warning is a repeat of an earlier one.
        windowStart: new Date(Date.UTC(2026, 0, 1) + probe * 3_600_000),
        resetsAt: new Date(Date.UTC(2026, 0, 31) + probe * 3_600_000),
      });
    },
    accessRequestEvents: async () => {
      const app = await bobMutation(
        'createApp',
        'CreateAppInput',
        { organizationId: captured.organizationId, name: `Readme app ${++probe}` },
        'app { id }',
      );
      await bobMutation(
        'requestAccess',
        'RequestAccessInput',
        { appId: app.app.id, planId: captured.planId, productIds: [captured.productId] },
        'accessRequest { id }',
      );
    },
  };

  beforeAll(async () => {
    database = await freshDatabase('plangraph_readme');
    platform = await startPlatform({ databaseUrl: database.url });
    const command = shell.map((text) => TOKEN_COMMAND.exec(text)).find(Boolean);
    if (!command) throw new Error('README has no `npm run token -- …` line');
    const { stdout } = await promisify(execFile)('npm', ['run', 'token', '--', ...command[1].trim().split(/\s+/)], {
      cwd: projectRoot(),
      timeout: 30_000,
    });
    token = stdout.trim().split('\n').pop()!;
  });
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await platform?.stop();
    await database?.drop();
  });

  it('has GraphQL examples, each operation the test treats specially among them', () => {
    expect(blocks.length).toBeGreaterThan(0);
    const names = blocks.map((b) => b.operation.name?.value);
    for (const name of ANONYMOUS_OPERATIONS) expect(names).toContain(name);
    for (const field of Object.keys(TRIGGERS)) {
      expect(
        blocks.some(
          (b) =>
            b.operation.operation === 'subscription' &&
            b.operation.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value === field),
        ),
      ).toBe(true);
    }
  });

  it('gets a token from the README’s `npm run token` line that the gateway accepts', () => {
    const claims = jwt.verify(token, jwtConfig().secret!, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: 'alice', roles: ['portal_admin'] });
  });

  it.each(blocks.map((block) => [block.index + 1, block.label, block] as const))(
    'runs graphql block %i (%s) as written',
    async (_n, _label, block) => {
      const variables = variablesOf(block);
      const anonymous = ANONYMOUS_OPERATIONS.has(block.operation.name?.value ?? '');
      const authorization: Record<string, string> = anonymous ? {} : { authorization: `Bearer ${token}` };

      if (block.operation.operation !== 'subscription') {
        const result = await gatewayRequest(platform.gatewayUrl, block.text, variables, null, authorization);
        expect({ status: result.status, errors: result.errors }).toEqual({ status: 200, errors: undefined });
        expect(result.data).toBeTruthy();
        expect(payloadErrors(result.data)).toEqual([]);
        capture(result.data);
        // The plan id is not a README variable, but triggers need it.
        const planId = at(result.data, 'createPlan.plan.id');
        if (planId) captured.planId = planId;
        results.set(block.operation.name?.value ?? `block ${block.index + 1}`, result);
        return;
      }

      const roots = block.operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
      expect(roots).toHaveLength(1);
      const trigger = TRIGGERS[roots[0]];
      if (!trigger) throw new Error(`README subscribes to ${roots[0]}, but this test cannot make its event happen: add it to TRIGGERS`);

      const client = createClient({
        url: platform.wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams: authorization,
      });
      clients.push(client);
      const events: unknown[] = [];
      const errors: unknown[] = [];
      client.subscribe(
        { query: block.text, variables },
        {
          next: (result) => (result.errors ? errors.push(...result.errors) : events.push(result.data)),
          error: (error) => errors.push(error),
          complete: () => undefined,
        },
      );
      await waitFor(
        async () => {
          if (errors.length || events.length) return true;
          await trigger();
          return waitFor(() => errors.length > 0 || events.length > 0, { timeoutMs: 1000, what: 'an event' }).catch(() => false);
        },
        { timeoutMs: 20_000, what: `an event of ${block.label}` },
      );
      expect(errors).toEqual([]);
      expect(events[0]).toEqual({ [roots[0]]: expect.any(Object) });
      expect(payloadErrors(events[0])).toEqual([]);
    },
  );

  it('shows anonymous visitors the README’s product with its plan, joined from the plans subgraph', () => {
    const slug = at(results.get('CreateProduct')?.data, 'createProduct.product.slug');
    const nodes = (
      at(results.get('PublicCatalogue')?.data, 'products.edges') as { node: { slug: string; availablePlans: unknown[] } }[] | undefined
    )?.map((e) => e.node);
    const product = nodes?.find((node) => node.slug === slug);
    expect(slug).toEqual(expect.any(String));
    expect(product?.availablePlans).toHaveLength(1);
  });
});
