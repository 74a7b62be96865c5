import { context, propagation, trace } from '@opentelemetry/api';
import { ConfigError } from './config';

// Loading the SDK is what tracing costs a process: with tracing off it must never be loaded.
jest.mock('./telemetry-sdk', () => {
  throw new Error('the OpenTelemetry SDK was loaded');
});

import { activeTraceCarrier, inSpan, startTelemetry, traceCarrierOf, tracingOn } from './telemetry';

describe('tracing is off by default', () => {
  it('starts nothing without an OTLP endpoint, or when OTEL_SDK_DISABLED is set', () => {
    expect(startTelemetry('products', {})).toBe(false);
    expect(startTelemetry('products', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingOn()).toBe(false);
    // No global tracer provider or propagator: the API's no-op ones.
    expect(trace.getTracer('x').startSpan('y').isRecording()).toBe(false);
    expect(propagation.fields()).toEqual([]);
  });

  it('adds nothing to job payloads and runs work without a span', async () => {
    expect(activeTraceCarrier()).toBeNull();
    let active: unknown = 'unset';
    await expect(
      inSpan('job test', {}, async () => {
        active = trace.getSpan(context.active());
        return 42;
      }),
    ).resolves.toBe(42);
    expect(active).toBeUndefined();
  });

  it('refuses bad OTEL_* settings with a ConfigError naming them', () => {
    expect(() => startTelemetry('gateway', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(ConfigError);
    expect(() => startTelemetry('gateway', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL/,
    );
    expect(() => startTelemetry('gateway', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(
      /OTEL_TRACES_SAMPLER_ARG/,
    );
    expect(() =>
      startTelemetry('gateway', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' }),
    ).toThrow(/OTEL_EXPORTER_OTLP_HEADERS \(value hidden\)/);
  });

  it('reads a W3C trace context from a payload only when it is well formed', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(traceCarrierOf({ credentialId: 'x', traceparent })).toEqual({ traceparent });
    expect(traceCarrierOf({ traceparent, tracestate: 'a=1' })).toEqual({ traceparent, tracestate: 'a=1' });
    expect(traceCarrierOf({ traceparent: 'not-a-traceparent' })).toBeNull();
    expect(traceCarrierOf(null)).toBeNull();
  });
});
