/**
 * What a subgraph shows operators (docs/OBSERVABILITY.md), wired in by `startSubgraph`: its
 * per-operation request metrics and the name of its request span (an Apollo plugin), its
 * subscriptions (open, events delivered, and the span of their start, continuing the gateway's
 * trace from the subscribe message's `extensions.traceparent`).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { getOperationAST, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Registry } from 'prom-client';
import { counter, histogram, LATENCY_BUCKETS, OperationNames, SubscriptionMetrics } from './metrics';
import { describeActiveSpan, inSpan, SpanKind, traceCarrierOf, type TraceCarrier } from './telemetry';

const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,39}$/;

type Subscribe = (
  args: ExecutionArgs,
) => Promise<AsyncIterable<ExecutionResult> | ExecutionResult> | ExecutionResult | AsyncIterable<ExecutionResult>;

export class SubgraphObservability {
  private readonly names = new OperationNames();
  private readonly subscriptions: SubscriptionMetrics;
  /** The trace context each graphql-ws subscription's context came with. */
  private readonly traceOf = new WeakMap<object, TraceCarrier>();

  constructor(
    private readonly subgraph: string,
    readonly registry: Registry,
  ) {
    this.subscriptions = new SubscriptionMetrics(registry);
  }

  /** Per-operation rate, errors and latency of GraphQL over HTTP; names the request's span after its operation. */
  apolloPlugin(): ApolloServerPlugin {
    const duration = histogram(this.registry, {
      name: 'plangraph_graphql_request_duration_seconds',
      help: 'GraphQL requests this subgraph answered over HTTP (from the gateway), per operation: latency; the count is the rate; outcome error when the response carried errors',
      labelNames: ['operation_type', 'operation_name', 'outcome'],
      buckets: LATENCY_BUCKETS,
    });
    const errors = counter(this.registry, {
      name: 'plangraph_graphql_errors_total',
      help: 'GraphQL errors in this subgraph’s responses, per operation and public error code',
      labelNames: ['operation_type', 'operation_name', 'code'],
    });
    const names = this.names;
    const subgraph = this.subgraph;
    return {
      async requestDidStart({ request }) {
        const started = performance.now();
        let type = 'unknown';
        let name = names.label(request.operationName);
        return {
          async didResolveOperation({ operation }) {
            if (!operation) return;
            type = operation.operation;
            name = names.label(request.operationName ?? operation.name?.value);
            describeActiveSpan(`${type} ${name}`, {
              'graphql.operation.type': type,
              'graphql.operation.name': name,
              'plangraph.subgraph': subgraph,
            });
          },
          async willSendResponse({ response }) {
            const found = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
            duration.observe(
              { operation_type: type, operation_name: name, outcome: found.length ? 'error' : 'ok' },
              (performance.now() - started) / 1000,
            );
            for (const error of found) {
              const code = String((error.extensions as Record<string, unknown> | undefined)?.code ?? '');
              errors.inc({ operation_type: type, operation_name: name, code: ERROR_CODE.test(code) ? code : 'OTHER' });
            }
            if (found.length) describeActiveSpan(null, { 'graphql.error.count': found.length }, true);
          },
        };
      },
    };
  }

  /** Remembers the trace context a graphql-ws subscribe message carried for the subscription's context. */
  withTraceContext<C extends object>(contextValue: C, payload: { extensions?: unknown }): C {
    const carrier = traceCarrierOf(payload.extensions);
    if (carrier) this.traceOf.set(contextValue, carrier);
    return contextValue;
  }

  /** graphql-ws `subscribe`: starts the subscription in a span of the caller's trace, then counts it while it runs. */
  subscribe(args: ExecutionArgs, subscribe: Subscribe): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> {
    const operation = getOperationAST(args.document, args.operationName ?? undefined);
    const first = operation?.selectionSet.selections[0];
    const field = first?.kind === 'Field' ? first.name.value : 'unknown';
    const carrier = args.contextValue && typeof args.contextValue === 'object' ? this.traceOf.get(args.contextValue) : undefined;
    return inSpan(
      `subscription ${field}`,
      {
        kind: SpanKind.SERVER,
        carrier,
        attributes: { 'graphql.operation.type': 'subscription', 'plangraph.subgraph': this.subgraph, 'plangraph.subscription': field },
      },
      async () => {
        const result = await subscribe(args);
        return Symbol.asyncIterator in result ? this.subscriptions.track(field, result) : result;
      },
    );
  }
}
