import { useQuery } from 'urql';
import { graphql } from '../gql';
import { Link } from '../router';
import { Loading, Page, QueryError, dateTime, number } from '../ui';

const EntitlementsQuery = graphql(`
  query PortalEntitlements {
    viewer {
      id
      entitlements {
        status
        expiresAt
        app {
          id
          name
        }
        credential {
          id
          prefix
        }
        plan {
          id
          displayName
          quota {
            unlimited
            requests
            period
          }
          rateLimit {
            unlimited
            requests
            perSeconds
          }
        }
        products {
          id
          displayName
        }
      }
    }
  }
`);

/** What the caller's apps may use: one row per credential that is not revoked. */
export function Entitlements() {
  const [{ data, fetching, error }] = useQuery({ query: EntitlementsQuery });
  const rows = data?.viewer?.entitlements ?? [];
  return (
    <Page title="Entitlements">
      <QueryError error={error} />
      {fetching && !data ? <Loading /> : null}
      {data && rows.length === 0 ? <p>No entitlements yet.</p> : null}
      {rows.length ? (
        <table>
          <caption className="visually-hidden">What your apps may use</caption>
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">APIs</th>
              <th scope="col">Plan</th>
              <th scope="col">Quota</th>
              <th scope="col">Rate</th>
              <th scope="col">Key</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.credential.id}>
                <td>
                  <Link to={`/apps/${e.app.id}`}>{e.app.name}</Link>
                </td>
                <td>{e.products.map((p) => p.displayName).join(', ')}</td>
                <td>{e.plan.displayName}</td>
                <td>{e.plan.quota.unlimited ? 'unlimited' : `${number(e.plan.quota.requests)}/${e.plan.quota.period?.toLowerCase()}`}</td>
                <td>{e.plan.rateLimit.unlimited ? 'unlimited' : `${e.plan.rateLimit.requests}/${e.plan.rateLimit.perSeconds} s`}</td>
                <td>
                  <Link to={`/credentials/${e.credential.id}`}>
                    <code>{e.credential.prefix}…</code>
                  </Link>{' '}
                  ({e.status})
                </td>
                <td>{e.expiresAt ? dateTime(e.expiresAt) : 'never'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}
