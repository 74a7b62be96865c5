import { useQuery } from 'urql';
import { graphql } from '../../gql';
import { Link } from '../../router';
import { Loading, Page, QueryError, number } from '../../ui';

const AdminPlansQuery = graphql(`
  query PortalAdminPlans {
    plans(first: 100) {
      edges {
        node {
          id
          displayName
          name
          status
          tier
          version
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
      }
    }
    planChangeRequests(status: PENDING, first: 100) {
      totalCount
    }
  }
`);

/** Every plan, to open in the editor (portal admins). */
export function Plans() {
  const [{ data, fetching, error }] = useQuery({ query: AdminPlansQuery, requestPolicy: 'cache-and-network' });
  return (
    <Page title="Plans">
      <QueryError error={error} />
      {fetching && !data ? <Loading /> : null}
      {data ? <p className="muted">{data.planChangeRequests.totalCount} proposed change(s) wait for a second admin.</p> : null}
      {data ? (
        <table>
          <caption className="visually-hidden">Plans</caption>
          <thead>
            <tr>
              <th scope="col">Plan</th>
              <th scope="col">Status</th>
              <th scope="col">Tier</th>
              <th scope="col">Quota</th>
              <th scope="col">Rate</th>
              <th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            {data.plans.edges.map(({ node: p }) => (
              <tr key={p.id}>
                <td>
                  <Link to={`/admin/plans/${p.id}`}>{p.displayName}</Link> <span className="muted">({p.name})</span>
                </td>
                <td>{p.status}</td>
                <td>{p.tier}</td>
                <td>{p.quota.unlimited ? 'unlimited' : `${number(p.quota.requests)}/${p.quota.period?.toLowerCase()}`}</td>
                <td>{p.rateLimit.unlimited ? 'unlimited' : `${p.rateLimit.requests}/${p.rateLimit.perSeconds} s`}</td>
                <td>{p.version}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}
