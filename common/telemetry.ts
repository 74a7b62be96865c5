/**
 * OpenTelemetry tracing: off by default, on when an OTLP endpoint is configured
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; docs/OBSERVABILITY.md).
 *
 * `startTelemetry` runs first in a process (`scripts/instrument.ts`, imported first by
 * `scripts/start-one.ts`), before `http`, `pg` and `undici` are loaded, so their instrumentations
 * apply. The SDK itself (`telemetry-sdk.ts`) is loaded only then: with tracing off no SDK module
 * is loaded, nothing is exported, and the helpers below return at their first line.
 *
 * Across processes the trace context travels as W3C `traceparent`: in HTTP headers (the HTTP
 * instrumentation), in the `extensions` of graphql-ws subscribe messages from the gateway, and in
 * the payload of a job enqueued for immediate run inside a traced request (`enqueueJob`), which
 * the worker continues in a span of its own (`inSpan`).
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from '@opentelemetry/api';
import { processEnv, telemetryConfig, type Env } from './config';

export { SpanKind };

interface Tracing {
  shutdown(): Promise<void>;
}

let tracing: Tracing | null = null;

/**
 * Starts tracing for this process when the configuration asks for it; returns whether it runs.
 * Throws a `ConfigError` for bad OTEL_* settings. Once per process.
 */
export function startTelemetry(processName: string, env: Env = processEnv()): boolean {
  if (tracing) return true;
  const config = telemetryConfig(env);
  if (!config.tracesUrl) return false;
  // Loaded only when tracing is on: the SDK, its exporters and instrumentations stay out of a
  // process that does not trace.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('./telemetry-sdk') as typeof import('./telemetry-sdk');
  tracing = sdk.startTracing(processName, config);
  return true;
}

/** Whether this process traces (`startTelemetry` started the SDK). */
export function tracingOn(): boolean {
  return tracing !== null;
}

/** Exports the spans still buffered and stops tracing (at the end of the process). */
export async function stopTelemetry(): Promise<void> {
  const current = tracing;
  tracing = null;
  await current?.shutdown().catch(() => undefined);
}

/** The tracer of the platform's own spans (jobs, subscriptions, gateway operations). */
export function tracer(): Tracer {
  return trace.getTracer('plangraph');
}

/** W3C trace context as it travels in a job payload or a subscribe message's extensions. */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

/** The trace context of the active span, or null when tracing is off or no span is active. */
export function activeTraceCarrier(): TraceCarrier | null {
  if (!tracing) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  if (!carrier.traceparent) return null;
  return carrier.tracestate ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate } : { traceparent: carrier.traceparent };
}

/** The trace context in a record (a job payload, message extensions), if it holds a well-formed one. */
export function traceCarrierOf(record: unknown): TraceCarrier | null {
  const value = record && typeof record === 'object' ? (record as Record<string, unknown>) : null;
  const traceparent = value?.traceparent;
  if (typeof traceparent !== 'string' || !/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(traceparent)) return null;
  const tracestate = typeof value?.tracestate === 'string' && value.tracestate.length <= 512 ? value.tracestate : undefined;
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Continue this trace (a remote parent); otherwise the active span is the parent… */
  carrier?: TraceCarrier | null;
  /** …unless the span starts a trace of its own without a carrier (a job nobody traced). */
  root?: boolean;
}

/**
 * Runs `run` in a span: the child of `carrier` when given (a job, a subscription from the
 * gateway), else of the active span (or none, with `root`). A failure marks the span as failed with the error's class
 * only (messages may carry data; the logs have them). Without tracing it just runs `run`.
 */
export function inSpan<T>(name: string, options: SpanOptions, run: () => Promise<T>): Promise<T> {
  if (!tracing) return run();
  const parent = options.carrier ? propagation.extract(ROOT_CONTEXT, options.carrier) : options.root ? ROOT_CONTEXT : context.active();
  return tracer().startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await run();
      } catch (error) {
        const type = (error as Error)?.name ?? 'Error';
        span.setAttribute('error.type', type);
        span.setStatus({ code: SpanStatusCode.ERROR, message: type });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Names and describes the active span (a subgraph's HTTP request span after its operation is known). */
export function describeActiveSpan(name: string | null, attributes: Attributes, failed = false): void {
  if (!tracing) return;
  const span = trace.getActiveSpan();
  if (!span) return;
  if (name) span.updateName(name);
  span.setAttributes(attributes);
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
}
