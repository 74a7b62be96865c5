/**
 * The usage subgraph's own metrics (docs/OBSERVABILITY.md): records taken in by the ingest
 * endpoint and the analytics tailer, and the quota warnings their batches raised. Counted after
 * the batch's transaction committed, from what it reports.
 */
import { counter, type Registry } from '../../common/metrics';
import type { IngestResult } from './services/ingest';
import type { TailResult } from './jobs/tail-analytics';

/** Where records came from: `POST /ingest/tyk`, or the tailer of Tyk Pump's table. */
export type IngestSource = 'http' | 'tail';

function counters(registry: Registry) {
  return {
    records: counter(registry, {
      name: 'plangraph_usage_ingest_records_total',
      help: 'Usage records received, per source (http: POST /ingest/tyk, tail: the analytics tailer) and outcome (accepted: stored now, duplicate: stored before, rejected: malformed)',
      labelNames: ['source', 'outcome'],
    }),
    unmatched: counter(registry, {
      name: 'plangraph_usage_ingest_unmatched_records_total',
      help: 'Accepted usage records whose key matched no credential, per source',
      labelNames: ['source'],
    }),
    warnings: counter(registry, {
      name: 'plangraph_quota_warnings_raised_total',
      help: 'Quota warnings raised (stored and published) by ingested usage, per source',
      labelNames: ['source'],
    }),
  };
}

/** Counts one committed batch. */
export function countIngest(
  registry: Registry,
  source: IngestSource,
  result: Pick<IngestResult, 'accepted' | 'duplicates' | 'unmatched' | 'warnings'> & { rejected: number | unknown[] },
): void {
  const { records, unmatched, warnings } = counters(registry);
  const rejected = Array.isArray(result.rejected) ? result.rejected.length : result.rejected;
  records.inc({ source, outcome: 'accepted' }, result.accepted);
  records.inc({ source, outcome: 'duplicate' }, result.duplicates);
  records.inc({ source, outcome: 'rejected' }, rejected);
  unmatched.inc({ source }, result.unmatched);
  warnings.inc({ source }, result.warnings);
}

/** Counts one run of the tailer. */
export function countTail(registry: Registry, result: TailResult): void {
  countIngest(registry, 'tail', result);
}

/** Creates the counters at start, so they show (at 0) before the first batch. */
export function usageMetrics(registry: Registry): void {
  const { records, unmatched, warnings } = counters(registry);
  for (const source of ['http', 'tail'] as const) {
    for (const outcome of ['accepted', 'duplicate', 'rejected']) records.inc({ source, outcome }, 0);
    unmatched.inc({ source }, 0);
    warnings.inc({ source }, 0);
  }
}
