/**
 * Imported first by `start-one.ts`, before anything loads `http`, `pg` or `undici`: starts
 * OpenTelemetry tracing for the process named on the command line when an OTLP endpoint is
 * configured (common/telemetry.ts), so their instrumentations apply. Bad OTEL_* settings are left
 * to the start script's check of the whole configuration, which names every bad variable.
 */
import { ConfigError } from '../common/config';
import { startTelemetry } from '../common/telemetry';

try {
  startTelemetry(process.argv[2] || 'unknown');
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
}
