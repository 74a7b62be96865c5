import { GraphQLError, parse, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { ManualClock } from '../test/kit/clock';
import { subscriptionKey, useSharedSubscriptions } from './shared-subscriptions';

/** An upstream stream the test feeds by hand. */
class Upstream implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: (ExecutionResult | Error)[] = [];
  private waiting: ((value: ExecutionResult | Error | null) => void) | null = null;
  returned = false;

  constructor(readonly context: Record<string, unknown>) {}

  push(value: ExecutionResult | Error | null): void {
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = null;
      waiting(value);
    } else if (value) this.queue.push(value);
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    const value =
      this.queue.shift() ?? (this.returned ? null : await new Promise<ExecutionResult | Error | null>((r) => (this.waiting = r)));
    if (value instanceof Error) throw value;
    return value ? { done: false, value } : { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.returned = true;
    this.push(null);
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

const DOCUMENT = parse(`subscription($org: ID!, $after: String) { quotaWarnings(organizationId: $org, after: $after) { id } }`);
const event = (id: string): ExecutionResult => ({ data: { quotaWarnings: { id } } });

function setup(joinableMs = 60_000) {
  const clock = new ManualClock();
  const plugin = useSharedSubscriptions({ clock, joinableMs }) as {
    onSubscribe(payload: { args: ExecutionArgs; subscribeFn: unknown; setSubscribeFn(fn: unknown): void }): void;
  };
  const upstreams: Upstream[] = [];
  const subscribeFn = (args: ExecutionArgs) => {
    const upstream = new Upstream(args.contextValue as Record<string, unknown>);
    upstreams.push(upstream);
    return upstream;
  };
  /** What the gateway does per client subscription: the plugin's hook, then the subscribe function it set. */
  async function subscribe(claims: object | null, variables: Record<string, unknown> = { org: 'a' }, document = DOCUMENT) {
    const args = {
      document,
      variableValues: variables,
      contextValue: {
        jwt: claims ? { payload: claims } : undefined,
        connectionParams: { token: 'secret' },
        res: { stream: 'the first client’s' },
        requestId: 'client',
      },
    } as unknown as ExecutionArgs;
    let fn: (args: ExecutionArgs) => unknown = subscribeFn;
    plugin.onSubscribe({ args, subscribeFn, setSubscribeFn: (next) => (fn = next as typeof fn) });
    return (await fn(args)) as AsyncIterableIterator<ExecutionResult>;
  }
  return { clock, upstreams, subscribe };
}

const alice = { sub: 'alice', roles: ['developer'] };
const bob = { sub: 'bob', roles: ['developer'] };

describe('shared subscriptions (gateway/shared-subscriptions.ts)', () => {
  it('gives clients of one key one upstream, each event to each client once, until the last leaves', async () => {
    const { upstreams, subscribe } = setup();
    const clients = await Promise.all([subscribe(alice), subscribe(alice), subscribe(alice)]);
    expect(upstreams).toHaveLength(1);
    const pending = clients.map((c) => c.next());
    upstreams[0].push(event('1'));
    expect(await Promise.all(pending)).toEqual(clients.map(() => ({ done: false, value: event('1') })));

    await clients[0].return!();
    upstreams[0].push(event('2'));
    expect(await clients[1].next()).toEqual({ done: false, value: event('2') });
    expect(await clients[2].next()).toEqual({ done: false, value: event('2') });
    expect(await clients[0].next()).toEqual({ done: true, value: undefined });
    expect(upstreams[0].returned).toBe(false);

    await clients[1].return!();
    await clients[2].return!();
    expect(upstreams[0].returned).toBe(true);
    // A client after that starts a new upstream.
    await subscribe(alice);
    expect(upstreams).toHaveLength(2);
  });

  it('runs the upstream with the verified claims but not the first client’s connection, under a request id of its own', async () => {
    const { upstreams, subscribe } = setup();
    await subscribe(alice);
    expect(upstreams[0].context).toMatchObject({ jwt: { payload: alice }, connectionParams: undefined, res: undefined });
    expect(upstreams[0].context.requestId).not.toBe('client');
  });

  it('never shares between different claims, variables or documents', async () => {
    const { upstreams, subscribe } = setup();
    await subscribe(alice);
    await subscribe(bob);
    await subscribe({ ...alice, roles: ['portal-admin'] });
    await subscribe(null);
    await subscribe(alice, { org: 'b' });
    await subscribe(alice, { org: 'a' }, parse(`subscription($org: ID!) { quotaWarnings(organizationId: $org) { id kind } }`));
    expect(upstreams).toHaveLength(6);
    expect(upstreams.map((u) => (u.context.jwt as { payload?: unknown } | undefined)?.payload ?? null)).toEqual([
      alice,
      bob,
      { ...alice, roles: ['portal-admin'] },
      null,
      alice,
      alice,
    ]);
  });

  it('never shares a subscription that resumes (`after` given), and shares one with `after: null`', async () => {
    const { upstreams, subscribe } = setup();
    await subscribe(alice, { org: 'a', after: '12' });
    await subscribe(alice, { org: 'a', after: '12' });
    const literal = parse(`subscription { quotaWarnings(organizationId: "a", after: "12") { id } }`);
    await subscribe(alice, {}, literal);
    await subscribe(alice, {}, literal);
    expect(upstreams).toHaveLength(4);
    await subscribe(alice, { org: 'a', after: null });
    await subscribe(alice, { org: 'a', after: null });
    expect(upstreams).toHaveLength(5);
    expect(subscriptionKey({ document: literal, variableValues: {}, contextValue: {} } as unknown as ExecutionArgs)).toBeNull();
  });

  it('lets clients join only within the joinable time; the older execution goes on for its clients', async () => {
    const { clock, upstreams, subscribe } = setup(60_000);
    const early = await subscribe(alice);
    clock.advance(59);
    const joined = await subscribe(alice);
    expect(upstreams).toHaveLength(1);
    clock.advance(1);
    const late = await subscribe(alice);
    const later = await subscribe(alice);
    expect(upstreams).toHaveLength(2);
    upstreams[0].push(event('old'));
    upstreams[1].push(event('new'));
    expect(await early.next()).toEqual({ done: false, value: event('old') });
    expect(await joined.next()).toEqual({ done: false, value: event('old') });
    expect(await late.next()).toEqual({ done: false, value: event('new') });
    expect(await later.next()).toEqual({ done: false, value: event('new') });
  });

  it('ends every client once with the upstream’s failure', async () => {
    const { upstreams, subscribe } = setup();
    const clients = await Promise.all([subscribe(alice), subscribe(alice)]);
    const lost = new GraphQLError('interrupted', { extensions: { code: 'SERVICE_UNAVAILABLE' } });
    const pending = clients.map((c) => c.next().catch((error: unknown) => error));
    upstreams[0].push(lost);
    expect(await Promise.all(pending)).toEqual([lost, lost]);
    for (const c of clients) expect(await c.next()).toEqual({ done: true, value: undefined });
  });

  it('after an error without data (a refusal), a new client gets its own execution', async () => {
    const { upstreams, subscribe } = setup();
    const first = await subscribe(bob);
    const refusal: ExecutionResult = { errors: [new GraphQLError('Forbidden', { extensions: { code: 'FORBIDDEN' } })] };
    upstreams[0].push(refusal);
    expect(await first.next()).toEqual({ done: false, value: refusal });
    await subscribe(bob);
    expect(upstreams).toHaveLength(2);
  });
});
