import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { SecretOnce } from '../components/SecretOnce';
import { Link } from '../router';
import { Loading, Page, QueryError, UserErrors, number } from '../ui';

const RequestContextQuery = graphql(`
  query PortalRequestContext($planId: ID!, $productId: ID!) {
    plan(id: $planId) {
      id
      displayName
      autoApprove
      quota {
        unlimited
        requests
        period
      }
    }
    product(id: $productId) {
      id
      displayName
    }
    viewer {
      id
      memberships {
        organization {
          id
          name
          status
          apps(first: 100) {
            edges {
              node {
                id
                name
              }
            }
          }
        }
      }
    }
  }
`);

const RequestAccessMutation = graphql(`
  mutation PortalRequestAccess($input: RequestAccessInput!) {
    requestAccess(input: $input) {
      accessRequest {
        id
        status
      }
      credential {
        id
        prefix
      }
      secret
      errors {
        code
        field
        message
        retryAfter
      }
    }
  }
`);

/** Requests access to a product under a plan for one of the caller's apps; shows the key once when the plan approves at once. */
export function RequestAccess({ planId, productId }: { planId: string; productId: string }) {
  const [{ data, fetching, error }] = useQuery({ query: RequestContextQuery, variables: { planId, productId } });
  const [result, requestAccess] = useMutation(RequestAccessMutation);
  const [appId, setAppId] = useState('');
  const apps =
    data?.viewer?.memberships
      .filter((m) => m.organization.status === 'ACTIVE')
      .flatMap((m) => (m.organization.apps?.edges ?? []).map((e) => ({ ...e.node, organization: m.organization.name }))) ?? [];

  async function submit(event: FormEvent) {
    event.preventDefault();
    await requestAccess({ input: { appId: appId || apps[0]!.id, planId, productIds: [productId], idempotencyKey: crypto.randomUUID() } });
  }

  if (fetching && !data) return <Loading />;
  if (!data?.plan || !data.product)
    return (
      <Page title="Request access">
        <QueryError error={error} />
        <p>This plan or API is not offered to you.</p>
      </Page>
    );
  const outcome = result.data?.requestAccess;
  return (
    <Page title={`Request ${data.plan.displayName} for ${data.product.displayName}`}>
      <p>
        {data.plan.quota.unlimited
          ? 'Unlimited requests'
          : `${number(data.plan.quota.requests)} requests per ${data.plan.quota.period?.toLowerCase()}`}
        . {data.plan.autoApprove ? 'Approved at once.' : 'The API team reviews each request.'}
      </p>
      {outcome?.secret ? (
        <>
          <SecretOnce secret={outcome.secret} prefix={outcome.credential?.prefix} />
          <p>
            <Link to={`/credentials/${outcome.credential!.id}`}>Watch this key&apos;s quota</Link>
          </p>
        </>
      ) : outcome?.accessRequest ? (
        <p role="status">
          Requested:{' '}
          {outcome.accessRequest.status === 'PENDING' ? 'waiting for approval. ' : `${outcome.accessRequest.status.toLowerCase()}. `}
          Reveal the key from <Link to={`/apps/${appId || apps[0]?.id}`}>your app</Link> once it is approved.
        </p>
      ) : apps.length === 0 ? (
        <p>
          <Link to="/apps">Register an app</Link> first.
        </p>
      ) : (
        <form className="form" onSubmit={submit}>
          <label htmlFor="request-app">App</label>
          <select id="request-app" value={appId} onChange={(e) => setAppId(e.target.value)}>
            {apps.map((app) => (
              <option key={app.id} value={app.id}>
                {app.name} ({app.organization})
              </option>
            ))}
          </select>
          <button type="submit" disabled={result.fetching}>
            Request access
          </button>
        </form>
      )}
      <UserErrors errors={outcome?.errors} />
      <QueryError error={result.error} />
    </Page>
  );
}
