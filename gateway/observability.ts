/**
 * What the gateway shows operators (docs/OBSERVABILITY.md): Prometheus metrics through Hive's
 * own plugin (`@graphql-mesh/plugin-prometheus`: per operation, per subgraph, per upstream call),
 * its subscriptions, and — when the process traces (common/telemetry.ts) — a span per GraphQL
 * operation and per subgraph call, with the trace context handed to subgraph subscriptions in
 * the subscribe message's `extensions` (HTTP calls carry it in the `traceparent` header).
 */
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import type { Logger as HiveLogger } from '@graphql-hive/logger';
import useMeshPrometheus, { createCounter, createHistogram, type FillLabelsFnParams } from '@graphql-mesh/plugin-prometheus';
import { getOperationAST, type ExecutionResult } from 'graphql';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

type MaybePromise<T> = T | Promise<T>;
import { LATENCY_BUCKETS, OperationNames, SubscriptionMetrics, type Registry } from '../common/metrics';
import { activeTraceCarrier, tracer, tracingOn } from '../common/telemetry';

/** An upstream URL as a label: origin and path (the subgraphs' and the JWKS endpoint's; fixed by configuration). */
function urlLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return 'other';
  }
}

/**
 * Hive's Prometheus plugin on the process's registry, each metric with bounded labels (operation
 * names capped, no URLs with query strings, no error paths), served by `startGateway` at
 * `/metrics` rather than by the plugin.
 */
export function usePrometheusMetrics(registry: Registry, log: HiveLogger): GatewayPlugin {
  const names = new OperationNames();
  // Hive's plugin names an operation without a name `Anonymous`; the platform's metrics say `anonymous`.
  const operation = (params: FillLabelsFnParams) => ({
    operationType: params.operationType ?? 'unknown',
    operationName: names.label(params.operationName === 'Anonymous' ? null : params.operationName),
  });
  const subgraphCall = (params: { subgraphName: string; executionRequest: { operationType?: string; operationName?: string } }) => ({
    subgraphName: params.subgraphName,
    operationType: params.executionRequest.operationType ?? 'query',
    operationName: names.label(params.executionRequest.operationName),
  });
  return useMeshPrometheus({
    log,
    registry,
    endpoint: false,
    metrics: {
      graphql_envelop_request: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_request',
          help: 'GraphQL operations the gateway executed, per operation',
          labelNames: ['operationType', 'operationName'],
        },
        fillLabelsFn: operation,
      }),
      graphql_envelop_request_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_envelop_request_duration',
          help: 'Seconds from parse to the end of execution of GraphQL operations at the gateway, per operation',
          labelNames: ['operationType', 'operationName'],
          buckets: LATENCY_BUCKETS,
        },
        fillLabelsFn: operation,
      }),
      graphql_envelop_error_result: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_error_result',
          help: 'Errors in the gateway’s results, per operation and phase (parse, validate, context, execute, subscribe)',
          labelNames: ['operationType', 'operationName', 'phase'],
        },
        fillLabelsFn: (params) => ({ ...operation(params), phase: params.errorPhase ?? 'execute' }),
      }),
      graphql_yoga_http_duration: createHistogram<
        'request',
        'operationType' | 'operationName' | 'method' | 'statusCode',
        FillLabelsFnParams
      >({
        registry,
        histogram: {
          name: 'graphql_yoga_http_duration',
          help: 'Seconds the gateway took to answer GraphQL HTTP requests, per operation, method and status',
          labelNames: ['operationType', 'operationName', 'method', 'statusCode'],
          buckets: LATENCY_BUCKETS,
        },
        fillLabelsFn: (params, raw: { request?: Request; response?: Response }) => ({
          ...operation(params),
          method: raw?.request?.method ?? 'unknown',
          statusCode: raw?.response?.status ?? 0,
        }),
      }),
      graphql_gateway_subgraph_execute_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_gateway_subgraph_execute_duration',
          help: 'Seconds each subgraph call took, per subgraph and operation',
          labelNames: ['subgraphName', 'operationType', 'operationName'],
          buckets: LATENCY_BUCKETS,
        },
        fillLabelsFn: subgraphCall,
      }),
      graphql_gateway_subgraph_execute_errors: createCounter({
        registry,
        counter: {
          name: 'graphql_gateway_subgraph_execute_errors',
          help: 'Errors in subgraph results, per subgraph and operation',
          labelNames: ['subgraphName', 'operationType', 'operationName'],
        },
        fillLabelsFn: subgraphCall,
      }),
      graphql_gateway_fetch_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_gateway_fetch_duration',
          help: 'Seconds of the gateway’s outgoing HTTP calls (subgraphs, JWKS), per URL, method and status',
          labelNames: ['url', 'method', 'statusCode'],
          buckets: LATENCY_BUCKETS,
        },
        fillLabelsFn: ({ url, options, response }: { url: string; options: { method?: string }; response: Response }) => ({
          url: urlLabel(url),
          method: options.method ?? 'GET',
          statusCode: response.status,
        }),
      }),
      graphql_envelop_schema_change: true,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_execute_resolver: false,
    },
  }) as GatewayPlugin;
}

/** Subscriptions open at the gateway and the events it sends their clients, over graphql-ws and HTTP. */
export function useSubscriptionMetrics(registry: Registry): GatewayPlugin {
  const metrics = new SubscriptionMetrics(registry);
  return {
    onSubscribe({ args }) {
      const operation = getOperationAST(args.document, args.operationName ?? undefined);
      const first = operation?.selectionSet.selections[0];
      const field = first?.kind === 'Field' ? first.name.value : 'unknown';
      return {
        onSubscribeResult({ result, setResult }) {
          if (result && typeof result === 'object' && Symbol.asyncIterator in result)
            setResult(metrics.track(field, result as AsyncIterable<ExecutionResult>));
        },
      };
    },
  } as GatewayPlugin;
}

/**
 * Spans of the gateway, when the process traces: one per GraphQL operation (a child of the HTTP
 * request's span, or the root of a graphql-ws operation's trace) named after it, and one per
 * subgraph call within it. Subgraph subscriptions run over graphql-ws, which has no headers per
 * operation: their subscribe message carries the trace context in `extensions`.
 */
export function useTracing(): GatewayPlugin {
  const names = new OperationNames(Number.MAX_SAFE_INTEGER);
  return {
    instrumentation: {
      operation(_payload, wrapped) {
        return within(tracer().startSpan('graphql.operation', { kind: SpanKind.SERVER }), wrapped);
      },
      subgraphExecute({ executionRequest, subgraphName }, wrapped) {
        const span = tracer().startSpan(`subgraph ${subgraphName}`, {
          kind: SpanKind.CLIENT,
          attributes: {
            'graphql.subgraph.name': subgraphName,
            'graphql.operation.type': executionRequest.operationType ?? 'query',
            'graphql.operation.name': names.label(executionRequest.operationName),
          },
        });
        return within(span, wrapped);
      },
    },
    onExecute({ args }) {
      nameOperation(args.document, args.operationName);
      return {
        onExecuteDone({ result }) {
          const errors = (result as ExecutionResult | undefined)?.errors;
          if (errors?.length) {
            trace.getActiveSpan()?.setAttribute('graphql.error.count', errors.length);
            trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR });
          }
        },
      };
    },
    onSubscribe({ args }) {
      nameOperation(args.document, args.operationName);
    },
    onSubgraphExecute({ executionRequest, setExecutionRequest }) {
      if (executionRequest.operationType !== 'subscription') return;
      const carrier = activeTraceCarrier();
      if (carrier) setExecutionRequest({ ...executionRequest, extensions: { ...executionRequest.extensions, ...carrier } });
    },
  } as GatewayPlugin;

  function nameOperation(document: Parameters<typeof getOperationAST>[0], operationName: string | null | undefined): void {
    const operation = getOperationAST(document, operationName ?? undefined);
    const span = trace.getActiveSpan();
    if (!operation || !span) return;
    const name = names.label(operationName ?? operation.name?.value);
    span.updateName(`${operation.operation} ${name}`);
    span.setAttributes({ 'graphql.operation.type': operation.operation, 'graphql.operation.name': name });
  }
}

/** Runs `wrapped` (Hive's instrumentation: its result may be a promise or a promise-like) with `span` active, and ends it. */
function within(span: Span, wrapped: () => unknown): MaybePromise<void> {
  const fail = (error: unknown) => {
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    throw error;
  };
  return context.with(trace.setSpan(context.active(), span), () => {
    let result: unknown;
    try {
      result = wrapped();
    } catch (error) {
      fail(error);
    }
    if (result && typeof (result as PromiseLike<unknown>).then === 'function')
      return Promise.resolve(result as PromiseLike<unknown>).then(() => span.end(), fail);
    span.end();
    return undefined;
  });
}

/** The gateway's plugins of this file, for its registry; tracing only when the process traces. */
export function observabilityPlugins(registry: Registry, log: HiveLogger): GatewayPlugin[] {
  return [usePrometheusMetrics(registry, log), useSubscriptionMetrics(registry), ...(tracingOn() ? [useTracing()] : [])];
}
