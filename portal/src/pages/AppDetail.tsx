import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { SecretOnce } from '../components/SecretOnce';
import { Link } from '../router';
import { Loading, Page, QueryError, UserErrors, dateTime } from '../ui';

const AppQuery = graphql(`
  query PortalApp($id: ID!) {
    app(id: $id) {
      id
      name
      description
      organization {
        id
        name
      }
      credentials(first: 50) {
        edges {
          node {
            id
            prefix
            status
            secretRevealed
            expiresAt
            createdAt
            plan {
              id
              displayName
            }
            products {
              id
              displayName
            }
          }
        }
      }
      accessRequests(first: 20) {
        edges {
          node {
            id
            status
            kind
            createdAt
            decisionReason
            plan {
              id
              displayName
            }
            products {
              id
              displayName
            }
          }
        }
      }
    }
  }
`);

const RevealMutation = graphql(`
  mutation PortalRevealSecret($input: RevealCredentialSecretInput!) {
    revealCredentialSecret(input: $input) {
      credential {
        id
        prefix
        secretRevealed
      }
      secret
      errors {
        code
        field
        message
      }
    }
  }
`);

/** One app: its credentials (reveal a manually approved key once) and its access requests. */
export function AppDetail({ id }: { id: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: AppQuery, variables: { id } });
  const [revealed, reveal] = useMutation(RevealMutation);
  const [shown, setShown] = useState<{ secret: string; prefix: string } | null>(null);
  if (fetching && !data) return <Loading />;
  const app = data?.app;
  if (!app)
    return (
      <Page title="App not found">
        <QueryError error={error} />
      </Page>
    );
  return (
    <Page title={app.name}>
      <p className="muted">In {app.organization.name}</p>
      {shown ? <SecretOnce secret={shown.secret} prefix={shown.prefix} /> : null}
      <UserErrors errors={revealed.data?.revealCredentialSecret.errors} />
      <h2>Credentials</h2>
      {app.credentials.edges.length === 0 ? <p className="muted">No credentials yet: request access from the catalogue.</p> : null}
      <ul className="cards">
        {app.credentials.edges.map(({ node: c }) => (
          <li key={c.id} className="card">
            <h3>
              <Link to={`/credentials/${c.id}`}>
                <code>{c.prefix}…</code> · {c.plan.displayName}
              </Link>
            </h3>
            <p>
              <span className={`badge ${c.status.toLowerCase()}`}>{c.status}</span> {c.products.map((p) => p.displayName).join(', ')} ·{' '}
              {c.expiresAt ? `expires ${dateTime(c.expiresAt)}` : 'does not expire'}
            </p>
            {!c.secretRevealed && c.status === 'ACTIVE' ? (
              <button
                type="button"
                onClick={async () => {
                  const result = await reveal({ input: { id: c.id } });
                  const payload = result.data?.revealCredentialSecret;
                  if (payload?.secret) {
                    setShown({ secret: payload.secret, prefix: payload.credential?.prefix ?? c.prefix });
                    refetch({ requestPolicy: 'network-only' });
                  }
                }}
              >
                Reveal key once
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      <h2>Access requests</h2>
      <table>
        <caption className="visually-hidden">Access requests of {app.name}</caption>
        <thead>
          <tr>
            <th scope="col">Plan</th>
            <th scope="col">Products</th>
            <th scope="col">Status</th>
            <th scope="col">Asked</th>
          </tr>
        </thead>
        <tbody>
          {app.accessRequests.edges.map(({ node: r }) => (
            <tr key={r.id}>
              <td>{r.plan.displayName}</td>
              <td>{r.products.map((p) => p.displayName).join(', ')}</td>
              <td>
                {r.status}
                {r.decisionReason ? ` (${r.decisionReason})` : ''}
              </td>
              <td>{dateTime(r.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  );
}
