import { useQuery } from 'urql';
import { graphql } from '../../gql';
import { Loading, Page, QueryError, dateTime } from '../../ui';

const SyncQuery = graphql(`
  query PortalSyncBoard {
    providers(first: 50) {
      edges {
        node {
          id
          name
          kind
          isDefault
          health {
            status
            lastSuccessAt
            lastError
          }
        }
      }
    }
    plans(first: 100) {
      edges {
        node {
          id
          displayName
          status
          sync {
            status
            attempts
            lastError
            syncedAt
            pendingSince
            stuck
          }
        }
      }
    }
    products(first: 100) {
      edges {
        node {
          id
          displayName
          status
          sync {
            status
            attempts
            lastError
            syncedAt
            pendingSince
            stuck
          }
        }
      }
    }
  }
`);

type Row = {
  id: string;
  displayName: string;
  status: string;
  sync?: {
    status: string;
    attempts: number;
    lastError?: string | null;
    syncedAt?: string | null;
    pendingSince?: string | null;
    stuck: boolean;
  } | null;
};

function SyncTable({ title, rows }: { title: string; rows: Row[] }) {
  return (
    <table>
      <caption>{title}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col">In Tyk</th>
          <th scope="col">Since</th>
          <th scope="col">Last error</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.id}>
            <td>{row.displayName}</td>
            <td>{row.status}</td>
            <td>
              <span className={`badge ${(row.sync?.status ?? 'none').toLowerCase()}${row.sync?.stuck ? ' failed' : ''}`}>
                {row.sync ? `${row.sync.status}${row.sync.stuck ? ' (stuck)' : ''}` : 'no provider'}
              </span>
              {row.sync && row.sync.attempts > 1 ? ` · ${row.sync.attempts} attempts` : ''}
            </td>
            <td>{dateTime(row.sync?.pendingSince ?? row.sync?.syncedAt)}</td>
            <td>{row.sync?.lastError ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Where every plan and product stands in Tyk, and each provider's health (portal admins). */
export function SyncBoard() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: SyncQuery, requestPolicy: 'network-only' });
  return (
    <Page
      title="Sync status"
      actions={
        <button type="button" className="secondary" onClick={() => refetch({ requestPolicy: 'network-only' })}>
          Refresh
        </button>
      }
    >
      <QueryError error={error} />
      {fetching && !data ? <Loading /> : null}
      {data ? (
        <>
          <table>
            <caption>Providers</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Health</th>
                <th scope="col">Last success</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {data.providers.edges.map(({ node: p }) => (
                <tr key={p.id}>
                  <td>
                    {p.name}
                    {p.isDefault ? ' (default)' : ''}
                  </td>
                  <td>{p.kind}</td>
                  <td>
                    <span className={`badge ${p.health.status.toLowerCase()}`}>{p.health.status}</span>
                  </td>
                  <td>{dateTime(p.health.lastSuccessAt)}</td>
                  <td>{p.health.lastError ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <SyncTable title="Plans" rows={data.plans.edges.map((e) => e.node)} />
          <SyncTable title="Products" rows={data.products.edges.map((e) => e.node)} />
        </>
      ) : null}
    </Page>
  );
}
