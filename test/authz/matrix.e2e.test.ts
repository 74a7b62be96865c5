import fs from 'node:fs';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { buildSchema, isObjectType, type GraphQLSchema } from 'graphql';
import { compose } from '../../scripts/compose';
import { authorizationMarkdown, AUTHORIZATION_FILE } from './table';
import { gatewayRequest, tokenFor, type Identity } from '../helpers/graphql';
import { waitFor } from '../helpers/wait';
import {
  ACCESS_RULE,
  answerPath,
  CALLERS,
  classify,
  classifyHttp,
  fieldOf,
  MATRIX,
  SENSITIVE_FIELDS,
  type CallerName,
  type MatrixRow,
} from './matrix';
import { buildWorld, type World } from './world';

/**
 * Walks the whole authorization matrix (./matrix.ts) through the gateway: every row × caller,
 * against one world (./world.ts). A failing row prints the whole row: expected vs actual cells.
 */

const ROOTS = ['Query', 'Mutation', 'Subscription'];

/** What a row's assertion compares: the cells, with the row's known bug (if any) in the failure output. */
function described(row: MatrixRow, cells: Record<string, string>) {
  return row.bug ? { knownBug: row.bug, cells } : { cells };
}

describe('authorization matrix: completeness against the composed public schema', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = buildSchema((await compose()).publicSchema);
  });

  it('has a row for every root Query, Mutation and Subscription field', () => {
    const covered = new Set(MATRIX.filter((row) => !row.http).map((row) => `${fieldOf(row).type}.${fieldOf(row).field}`));
    const missing: string[] = [];
    for (const root of ROOTS) {
      const type = schema.getType(root);
      if (!type || !isObjectType(type)) continue;
      for (const field of Object.keys(type.getFields())) if (!covered.has(`${root}.${field}`)) missing.push(`${root}.${field}`);
    }
    expect(missing).toEqual([]);
  });

  it('has a row for every listed sensitive field and every field whose description states an access rule', () => {
    const covered = new Set(MATRIX.filter((row) => !row.http).map((row) => `${fieldOf(row).type}.${fieldOf(row).field}`));
    const ruled: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__') || ROOTS.includes(type.name)) continue;
      for (const field of Object.values(type.getFields()))
        if (field.description && ACCESS_RULE.test(field.description)) ruled.push(`${type.name}.${field.name}`);
    }
    expect([...SENSITIVE_FIELDS, ...ruled].filter((f) => !covered.has(f))).toEqual([]);
  });

  it('names only fields that exist, each operation once', () => {
    const unknown = MATRIX.filter((row) => !row.http)
      .filter((row) => {
        const { type, field } = fieldOf(row);
        const t = schema.getType(type);
        return !t || !isObjectType(t) || !t.getFields()[field];
      })
      .map((row) => row.operation);
    expect(unknown).toEqual([]);
    const names = MATRIX.map((row) => row.operation);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it('never lets the outsider (ORG_ADMIN of B) have data of A: an outsider ALLOW says why it is its own', () => {
    const unexplained = MATRIX.filter((row) => row.cells.outsider === 'ALLOW' && !row.outsiderAllowed).map((row) => row.operation);
    expect(unexplained).toEqual([]);
    const unneeded = MATRIX.filter((row) => row.outsiderAllowed && row.cells.outsider !== 'ALLOW').map((row) => row.operation);
    expect(unneeded).toEqual([]);
  });

  it('docs/AUTHORIZATION.md is the table generated from the matrix (npm run authz:table)', () => {
    const committed = fs.existsSync(AUTHORIZATION_FILE) ? fs.readFileSync(AUTHORIZATION_FILE, 'utf8') : '';
    expect(committed).toBe(authorizationMarkdown());
  });
});

describe('authorization matrix through the gateway', () => {
  let world: World;
  const clients: Client[] = [];

  beforeAll(async () => {
    world = await buildWorld();
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await Promise.resolve(c.dispose()).catch(() => undefined);
    await world?.stop();
  });

  const identityOf = (row: MatrixRow, caller: CallerName): Identity | null => (row.mfa ? world.mfaIdentities : world.identities)[caller];

  async function runCell(row: MatrixRow, caller: CallerName): Promise<string> {
    if (row.http) {
      const identity = identityOf(row, caller);
      const base = new URL(world.platform.subgraphs[row.http.subgraph]!.url).origin;
      const response = await fetch(`${base}${row.http.path}`, {
        method: row.http.method,
        headers: { 'content-type': 'application/json', ...(identity ? { authorization: `Bearer ${tokenFor(identity)}` } : {}) },
        body: row.http.body,
      });
      const text = await response.text();
      if (process.env.AUTHZ_DEBUG) console.log(`${row.operation} × ${caller}: ${response.status} ${text.slice(0, 300)}`);
      return classifyHttp(response.status);
    }
    const answer = await gatewayRequest(
      world.platform.gatewayUrl,
      row.document,
      row.variables?.(world.ids, caller) ?? {},
      identityOf(row, caller),
    );
    // AUTHZ_DEBUG=1 prints every answer (to see why a cell is what it is).
    if (process.env.AUTHZ_DEBUG)
      console.log(
        `${row.operation} × ${caller}: ${JSON.stringify({ data: answer.data, errors: answer.errors?.map((e) => e.extensions?.code ?? e.message) })}`,
      );
    return classify(answer, answerPath(row), row.select && ((value) => row.select!(value, world.ids)));
  }

  const requestRows = MATRIX.filter((row) => fieldOf(row).type !== 'Subscription');
  /**
   * Every request row's cells, asked ROWS_AT_ONCE rows at a time (each row's callers at once):
   * the rows do not depend on each other (a row that writes is refused after authorization, or
   * writes only what no other row reads), and one row after another took most of the file's time.
   */
  const ROWS_AT_ONCE = 4;
  const answers = new Map<MatrixRow, Promise<Record<string, string>>>();
  function cellsOf(row: MatrixRow): Promise<Record<string, string>> {
    if (!answers.has(row)) {
      // Start this row and the next few not started yet; each test awaits its own row.
      let started = 0;
      for (const next of requestRows.slice(requestRows.indexOf(row))) {
        if (started === ROWS_AT_ONCE) break;
        if (answers.has(next)) continue;
        const cells = Promise.all(CALLERS.map((caller) => runCell(next, caller))).then((outcomes) =>
          Object.fromEntries(CALLERS.map((caller, i) => [caller, outcomes[i]])),
        );
        // Its own test reports a failure; until then it is not an unhandled rejection.
        cells.catch(() => undefined);
        answers.set(next, cells);
        started++;
      }
    }
    return answers.get(row)!;
  }
  it.each(requestRows.map((row) => [row.operation, row] as const))('%s', async (_operation, row) => {
    const actual = await cellsOf(row);
    expect(described(row, actual)).toEqual(described(row, row.cells));
  });

  /** One graphql-ws subscription per caller: the organizations of the events it delivered, and whether it ended. */
  function subscribe(row: MatrixRow, caller: CallerName) {
    const identity = identityOf(row, caller);
    const client = createClient({
      url: world.platform.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: identity ? { authorization: `Bearer ${tokenFor(identity)}` } : {},
    });
    clients.push(client);
    const field = fieldOf(row).field;
    const seen = { organizations: [] as string[], errors: [] as unknown[], ended: false };
    client.subscribe(
      { query: row.document, variables: row.variables?.(world.ids, caller) ?? {} },
      {
        next: (result) => {
          if (result.errors?.length) seen.errors.push(...result.errors);
          const event = (result.data as Record<string, { organizationId?: string }> | undefined)?.[field];
          // A quota status names no organization: the rows watch credentials of A only.
          if (event) seen.organizations.push(event.organizationId ?? (row.trigger === 'quotaStatus' ? world.ids.orgA : '?'));
        },
        error: (error) => {
          seen.errors.push(error);
          seen.ended = true;
        },
        complete: () => {
          seen.ended = true;
        },
      },
    );
    return seen;
  }

  /**
   * Subscriptions: ALLOW = organization A's events are delivered; REFUSED = the subscription ends
   * (with an error) and delivers nothing; NULL = it stays open but delivers none of A's events —
   * proved live by an event of B (the outsider's own organization) arriving meanwhile.
   */
  const subscriptionRows = MATRIX.filter((row) => fieldOf(row).type === 'Subscription');
  it.each(subscriptionRows.map((row) => [row.operation, row] as const))(
    '%s',
    async (_operation, row) => {
      const subscriptions = CALLERS.map((caller) => subscribe(row, caller));
      const { orgA, orgB } = world.ids;
      // Events of B about the app the row filters on (if any): they reach a live subscription of B.
      const app = row.variables?.(world.ids, 'outsider').app;
      const trigger = (organization: 'A' | 'B') =>
        row.trigger === 'quotaWarning'
          ? world.raiseQuotaWarning(organization, organization === 'B' && typeof app === 'string' ? app : undefined)
          : row.trigger === 'quotaStatus'
            ? world.announceQuotaStatus(String(row.variables!(world.ids, 'developer').id))
            : world.emitAccessEvent(organization);
      const silentExpected = CALLERS.some((caller) => row.cells[caller] === 'NULL');
      const decided = () =>
        subscriptions.every((s) => s.ended || s.organizations.includes(orgA) || (silentExpected && s.organizations.includes(orgB)));
      // Until every subscription has delivered (A's events, or B's for the silent ones) or ended,
      // keep causing events.
      await waitFor(
        async () => {
          if (decided()) return true;
          await trigger('A');
          if (silentExpected) await trigger('B');
          return false;
        },
        { timeoutMs: 15_000, intervalMs: 150, what: `${row.operation}: every subscription to deliver or end` },
      ).catch(() => undefined);
      // One more event of A after the decision, then one of B: once the open subscriptions have the
      // B event, the A event has passed them too — a refused or silent one must not have it.
      const openSilent = subscriptions.filter((s, i) => !s.ended && row.cells[CALLERS[i]] === 'NULL');
      const seenB = openSilent.map((s) => s.organizations.filter((o) => o === orgB).length);
      await trigger('A');
      if (openSilent.length) {
        await trigger('B');
        await waitFor(() => openSilent.every((s, i) => s.organizations.filter((o) => o === orgB).length > seenB[i]), {
          timeoutMs: 5000,
          what: 'the last event of B',
        }).catch(() => undefined);
      }
      const actual = Object.fromEntries(
        CALLERS.map((caller, i) => {
          const s = subscriptions[i];
          const ofA = s.organizations.filter((o) => o === orgA).length;
          const others = s.organizations.filter((o) => o !== orgA && o !== orgB);
          if (others.length) return [caller, `delivered events of other organizations: ${others.join(', ')}`];
          if (ofA > 0 && s.errors.length === 0) return [caller, 'ALLOW'];
          if (ofA > 0) return [caller, `delivered ${ofA} event(s) of A and an error: ${JSON.stringify(s.errors)}`];
          if (s.ended && s.organizations.length === 0) return [caller, 'REFUSED'];
          if (!s.ended && s.organizations.includes(orgB) && s.errors.length === 0) return [caller, 'NULL'];
          return [caller, `neither delivered nor refused within the deadline (${JSON.stringify(s)})`];
        }),
      );
      expect(described(row, actual)).toEqual(described(row, row.cells));
    },
    30_000,
  );
});
