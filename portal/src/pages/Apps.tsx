import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { Link } from '../router';
import { Loading, Page, QueryError, UserErrors } from '../ui';

export const MyAppsQuery = graphql(`
  query PortalMyApps {
    viewer {
      id
      memberships {
        role
        organization {
          id
          name
          status
          apps(first: 100) {
            edges {
              node {
                id
                name
                description
                visibility
                credentials(status: [ACTIVE], first: 1) {
                  totalCount
                }
              }
            }
          }
        }
      }
    }
  }
`);

const CreateAppMutation = graphql(`
  mutation PortalCreateApp($input: CreateAppInput!) {
    createApp(input: $input) {
      app {
        id
        name
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

/** The caller's apps in each of their organizations, and a form to register a new one. */
export function Apps() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: MyAppsQuery });
  const [created, createApp] = useMutation(CreateAppMutation);
  const [name, setName] = useState('');
  const [organizationId, setOrganizationId] = useState('');
  const active = data?.viewer?.memberships.filter((m) => m.organization.status === 'ACTIVE') ?? [];

  async function submit(event: FormEvent) {
    event.preventDefault();
    const org = organizationId || active[0]?.organization.id;
    if (!org) return;
    const result = await createApp({ input: { organizationId: org, name: name.trim() } });
    if (result.data?.createApp.app) {
      setName('');
      refetch({ requestPolicy: 'network-only' });
    }
  }

  return (
    <Page title="Apps">
      <QueryError error={error} />
      {fetching && !data ? <Loading /> : null}
      {data && active.length === 0 ? (
        <p>
          Apps belong to an organization: <Link to="/organizations">ask for one or accept an invitation</Link> first.
        </p>
      ) : null}
      {active.map(({ organization }) => (
        <section key={organization.id} aria-labelledby={`org-${organization.id}`}>
          <h2 id={`org-${organization.id}`}>{organization.name}</h2>
          {organization.apps?.edges.length ? (
            <ul className="cards">
              {organization.apps.edges.map(({ node: app }) => (
                <li key={app.id} className="card">
                  <h3>
                    <Link to={`/apps/${app.id}`}>{app.name}</Link>
                  </h3>
                  <p className="muted">
                    {app.credentials.totalCount} active credential{app.credentials.totalCount === 1 ? '' : 's'} · visible to{' '}
                    {app.visibility.toLowerCase()}
                  </p>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No apps yet.</p>
          )}
        </section>
      ))}
      {active.length ? (
        <form className="form" onSubmit={submit}>
          <h2>Register an app</h2>
          {active.length > 1 ? (
            <>
              <label htmlFor="app-org">Organization</label>
              <select id="app-org" value={organizationId} onChange={(e) => setOrganizationId(e.target.value)}>
                {active.map(({ organization }) => (
                  <option key={organization.id} value={organization.id}>
                    {organization.name}
                  </option>
                ))}
              </select>
            </>
          ) : null}
          <label htmlFor="app-name">App name</label>
          <input id="app-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
          <button type="submit" disabled={created.fetching}>
            Register app
          </button>
          <UserErrors errors={created.data?.createApp.errors} />
          <QueryError error={created.error} />
        </form>
      ) : null}
    </Page>
  );
}
