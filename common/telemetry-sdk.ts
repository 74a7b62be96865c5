/**
 * The OpenTelemetry SDK of a process that traces (loaded by `startTelemetry` in telemetry.ts only
 * then): a Node tracer provider with W3C trace-context propagation and AsyncLocalStorage context,
 * a batching OTLP/HTTP exporter (protobuf or JSON), and the instrumentations of what the platform
 * calls: `http` (requests in, and the gateway's calls to subgraphs), `undici` (`fetch`: the
 * provider's calls to Tyk) and `pg` (SQL). Every setting comes from `telemetryConfig`.
 *
 * What leaves the process is redacted first (`redact`): no GraphQL documents, SQL values, query
 * strings, ids in URL paths (a Tyk key's id is its secret), client addresses or user agents. SQL
 * spans keep the shape of their statement — MikroORM sends statements with their values inlined,
 * so every literal becomes `?` (`obfuscateSql`) — and lose driver messages, which can quote values.
 */
import type { Attributes } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TelemetryConfig } from './config';

/** Paths whose requests are never traced: probes and scrapes. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

function sampler(config: TelemetryConfig): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.samplerRatio);
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** Attributes never exported. */
const DROPPED = new Set([
  'graphql.document',
  'http.client_ip',
  'client.address',
  'client.port',
  'user_agent.original',
  'http.user_agent',
  'url.query',
  'enduser.id',
  'db.postgresql.values',
]);
/** On server spans these name the caller's address. */
const PEER = new Set([
  'net.peer.ip',
  'net.peer.port',
  'network.peer.address',
  'network.peer.port',
  'net.sock.peer.addr',
  'net.sock.peer.port',
]);
const URLS = new Set(['url.full', 'http.url', 'http.target', 'url.path']);
const STATEMENTS = new Set(['db.query.text', 'db.statement']);
/** Path segments kept as they are: plain words (`tyk`, `keys`, `graphql`); anything else may be an id or a secret. */
const WORD = /^[A-Za-z]{1,24}(?:[-.][A-Za-z]{1,24})*$/;
const SPAN_KIND_SERVER = 1;

/** A URL or path without its query and with every segment that is not a plain word replaced by `:id`. */
export function redactUrl(value: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)?([^?#]*)/i.exec(value);
  const origin = match?.[1] ?? '';
  const path = (match?.[2] ?? '')
    .split('/')
    .map((segment) => (segment === '' || WORD.test(segment) ? segment : ':id'))
    .join('/');
  return `${origin}${path}`;
}

/**
 * A statement's shape without its values: string literals (standard, `E'…'` and dollar-quoted),
 * numbers and bit/hex strings become `?`; identifiers, keywords and placeholders stay. A statement
 * cut inside a literal (attribute length limits) ends at the cut.
 */
export function obfuscateSql(sql: string): string {
  const shape = sql
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?\$\1\$/g, '?')
    .replace(/\b[EeBbXxUu]&?'(?:[^'\\]|\\.|'')*'/g, '?')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/(?<![\w$."])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b/g, '?');
  const open = shape.search(/'|\$([A-Za-z_][A-Za-z0-9_]*)?\$/);
  return open < 0 ? shape : `${shape.slice(0, open)}?…`;
}

export function redactAttributes(attributes: Attributes, server: boolean): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (DROPPED.has(key) || key.startsWith('db.query.parameter.') || (server && PEER.has(key))) continue;
    if (typeof value === 'string' && URLS.has(key)) out[key] = redactUrl(value);
    else if (typeof value === 'string' && STATEMENTS.has(key)) out[key] = obfuscateSql(value);
    else out[key] = value;
  }
  return out;
}

/** The span as exported: see the file's comment. */
export function redact(span: ReadableSpan): ReadableSpan {
  const database = 'db.system' in span.attributes || 'db.system.name' in span.attributes;
  const events = span.events.map((event) =>
    event.name === 'exception' && database
      ? { ...event, attributes: { 'exception.type': event.attributes?.['exception.type'] ?? 'Error' } }
      : event,
  );
  return Object.create(span, {
    attributes: { value: redactAttributes(span.attributes, span.kind === SPAN_KIND_SERVER), enumerable: true },
    events: { value: events, enumerable: true },
    status: { value: database ? { code: span.status.code } : span.status, enumerable: true },
  }) as ReadableSpan;
}

/** Hands every span to `inner` redacted. */
class RedactingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans.map(redact), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

export function startTracing(processName: string, config: TelemetryConfig): { shutdown(): Promise<void> } {
  const options = { url: config.tracesUrl!, headers: config.headers, timeoutMillis: 10_000 };
  const exporter = config.protocol === 'http/json' ? new JsonTraceExporter(options) : new ProtobufTraceExporter(options);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': config.serviceName ?? `plangraph-${processName}`,
      'service.namespace': 'plangraph',
      'plangraph.process': processName,
      'process.pid': process.pid,
    }),
    sampler: sampler(config),
    spanLimits: { attributeValueLengthLimit: 4096 },
    spanProcessors: [new BatchSpanProcessor(new RedactingExporter(exporter), { scheduledDelayMillis: config.scheduleDelayMs })],
  });
  // Global tracer provider, W3C trace-context and baggage propagation, AsyncLocalStorage context.
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0]!),
        // Calls made outside any request or job (readiness probes) start no trace of their own.
        requireParentforOutgoingSpans: true,
      }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
      // SQL outside a request or job (job polling, heartbeats, LISTEN, scrapes) is not traced;
      // parameter values are never recorded (`enhancedDatabaseReporting` stays off).
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true, enhancedDatabaseReporting: false }),
    ],
  });
  return { shutdown: () => provider.shutdown() };
}
