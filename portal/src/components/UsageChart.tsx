import { useEffect } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { QueryError, number } from '../ui';

const CredentialUsageQuery = graphql(`
  query PortalCredentialUsage($id: ID!, $from: DateTime!, $to: DateTime!, $granularity: UsageGranularity!) {
    credential(id: $id) {
      id
      usage(from: $from, to: $to, granularity: $granularity) {
        granularity
        spike
        points {
          at
          requests
          rateLimited
          quotaExceeded
          errors4xx
          errors5xx
        }
        totals {
          requests
          rejectionRate
        }
      }
    }
  }
`);

/** Requests over the last hour (per minute) or day (per hour), as an SVG bar chart; read again whenever `version` changes. */
export function UsageChart({ credentialId, range, version }: { credentialId: string; range: 'hour' | 'day'; version: number }) {
  const minute = 60_000;
  // Rounded to the bucket, so that re-renders ask the same question (and `version` asks again).
  const bucket = range === 'hour' ? minute : 60 * minute;
  const to = new Date(Math.ceil((Date.now() + 1) / bucket) * bucket);
  const from = new Date(to.getTime() - (range === 'hour' ? 60 * minute : 24 * 60 * minute));
  const [{ data, error }, refetch] = useQuery({
    query: CredentialUsageQuery,
    variables: { id: credentialId, from: from.toISOString(), to: to.toISOString(), granularity: range === 'hour' ? 'MINUTE' : 'HOUR' },
  });
  useEffect(() => {
    if (version > 0) refetch({ requestPolicy: 'network-only' });
  }, [version, refetch]);
  const series = data?.credential?.usage;
  const points = series?.points ?? [];
  const max = Math.max(1, ...points.map((p) => p.requests));
  const width = 600;
  const height = 160;
  const barWidth = points.length ? width / points.length : width;
  const total = series?.totals.requests ?? 0;
  return (
    <figure className="chart">
      <figcaption>
        Requests in the last {range}: {number(total)}
        {series?.spike ? ' · spike' : ''}
      </figcaption>
      <QueryError error={error} />
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Bar chart of requests in the last ${range}: ${number(total)} in all`}>
        <line x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} className="axis" />
        {points.map((p, i) => {
          const h = (p.requests / max) * (height - 10);
          const refused = ((p.rateLimited + p.quotaExceeded) / max) * (height - 10);
          return (
            <g key={p.at}>
              <rect x={i * barWidth + 1} y={height - h} width={Math.max(1, barWidth - 2)} height={h} className="bar" />
              {refused > 0 ? (
                <rect
                  x={i * barWidth + 1}
                  y={height - refused}
                  width={Math.max(1, barWidth - 2)}
                  height={refused}
                  className="bar refused"
                />
              ) : null}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
