import { useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { QuotaMeter } from '../components/QuotaMeter';
import { UsageChart } from '../components/UsageChart';
import { Link } from '../router';
import { Loading, Page, QueryError, dateTime } from '../ui';

const CredentialQuery = graphql(`
  query PortalCredential($id: ID!) {
    credential(id: $id) {
      id
      prefix
      status
      expiresAt
      createdAt
      app {
        id
        name
      }
      organization {
        id
        name
      }
      plan {
        id
        displayName
      }
      products {
        id
        displayName
      }
      sync {
        status
      }
    }
  }
`);

/** One credential: its live quota meter, its quota warnings as they arrive, and its usage over time. */
export function CredentialPage({ id }: { id: string }) {
  const [{ data, fetching, error }] = useQuery({ query: CredentialQuery, variables: { id } });
  const [range, setRange] = useState<'hour' | 'day'>('hour');
  const [chartVersion, setChartVersion] = useState(0);
  if (fetching && !data) return <Loading />;
  const credential = data?.credential;
  if (!credential)
    return (
      <Page title="Key not found">
        <QueryError error={error} />
      </Page>
    );
  return (
    <Page title={`Key ${credential.prefix}…`}>
      <p className="muted">
        <Link to={`/apps/${credential.app.id}`}>{credential.app.name}</Link> · {credential.plan.displayName} ·{' '}
        {credential.products.map((p) => p.displayName).join(', ')} · {credential.status.toLowerCase()} · in Tyk:{' '}
        {credential.sync.status.toLowerCase()} · {credential.expiresAt ? `expires ${dateTime(credential.expiresAt)}` : 'no expiry'}
      </p>
      <QuotaMeter
        credentialId={credential.id}
        organizationId={credential.organization.id}
        appId={credential.app.id}
        onChange={() => setChartVersion((v) => v + 1)}
      />
      <section aria-labelledby="usage-title">
        <div className="page-head">
          <h2 id="usage-title">Usage</h2>
          <div role="group" aria-label="Time range" className="segmented">
            <button type="button" aria-pressed={range === 'hour'} onClick={() => setRange('hour')}>
              Last hour
            </button>
            <button type="button" aria-pressed={range === 'day'} onClick={() => setRange('day')}>
              Last day
            </button>
          </div>
        </div>
        <UsageChart credentialId={credential.id} range={range} version={chartVersion} />
      </section>
    </Page>
  );
}
