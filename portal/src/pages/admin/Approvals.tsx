import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { graphql } from '../../gql';
import { Loading, Page, QueryError, UserErrors, dateTime } from '../../ui';

const PendingQuery = graphql(`
  query PortalPendingApprovals {
    accessRequests(filter: { status: [PENDING] }, first: 100) {
      totalCount
      edges {
        node {
          id
          kind
          createdAt
          organization {
            id
            name
          }
          app {
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
          requestedBy {
            id
            subject
          }
        }
      }
    }
    organizations(filter: { status: [PENDING] }, first: 100) {
      edges {
        node {
          id
          name
          slug
          createdBy
          createdAt
        }
      }
    }
  }
`);

const AccessEventsSubscription = graphql(`
  subscription PortalAccessRequestEvents($after: String) {
    accessRequestEvents(after: $after) {
      id
      cursor
      type
      occurredAt
      accessRequest {
        id
        status
      }
    }
  }
`);

const ApproveMutation = graphql(`
  mutation PortalApproveAccess($input: ApproveAccessRequestInput!) {
    approveAccessRequest(input: $input) {
      accessRequest {
        id
        status
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

const RejectMutation = graphql(`
  mutation PortalRejectAccess($input: RejectAccessRequestInput!) {
    rejectAccessRequest(input: $input) {
      accessRequest {
        id
        status
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

const ApproveOrganizationMutation = graphql(`
  mutation PortalApproveOrganization($input: ApproveOrganizationInput!) {
    approveOrganization(input: $input) {
      organization {
        id
        status
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

/**
 * The portal admin's approvals queue: pending access requests (and organizations), kept live by
 * the `accessRequestEvents` subscription (every organization's, for a portal admin) — a new
 * request appears, a decided one leaves, without a reload.
 */
export function Approvals() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: PendingQuery, requestPolicy: 'network-only' });
  const [{ data: lastEvent, error: streamError }] = useSubscription({ query: AccessEventsSubscription });
  const [approved, approve] = useMutation(ApproveMutation);
  const [rejected, reject] = useMutation(RejectMutation);
  const [orgApproved, approveOrganization] = useMutation(ApproveOrganizationMutation);
  const [announcement, setAnnouncement] = useState('');
  const refetchRef = useRef(refetch);
  refetchRef.current = refetch;
  const eventId = lastEvent?.accessRequestEvents.id;
  useEffect(() => {
    if (!eventId) return;
    refetchRef.current({ requestPolicy: 'network-only' });
    if (lastEvent?.accessRequestEvents.type === 'REQUESTED') setAnnouncement('A new access request arrived.');
    // Only a new event asks again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [eventId]);

  const requests = data?.accessRequests.edges ?? [];
  const organizations = data?.organizations.edges ?? [];
  const after = () => refetch({ requestPolicy: 'network-only' });
  return (
    <Page title="Approvals">
      <p className="muted">
        Updates live{streamError ? ' (live updates interrupted: reload)' : ''}.{' '}
        <span role="status" aria-live="polite">
          {announcement}
        </span>
      </p>
      <QueryError error={error} />
      {fetching && !data ? <Loading /> : null}
      <h2 id="requests-title">Access requests ({data?.accessRequests.totalCount ?? 0})</h2>
      {data && requests.length === 0 ? <p>No access request is waiting.</p> : null}
      <ul className="cards" aria-labelledby="requests-title">
        {requests.map(({ node: r }) => (
          <li key={r.id} className="card" aria-label={`${r.app.name} asks for ${r.plan.displayName}`}>
            <h3>
              {r.app.name} → {r.plan.displayName}
            </h3>
            <p>
              {r.organization.name} · {r.products.map((p) => p.displayName).join(', ')} ·{' '}
              {r.kind === 'PLAN_CHANGE' ? 'plan change' : 'new access'} · asked by {r.requestedBy?.subject ?? 'unknown'} on{' '}
              {dateTime(r.createdAt)}
            </p>
            <div className="actions">
              <button
                type="button"
                onClick={async () => (await approve({ input: { id: r.id, idempotencyKey: crypto.randomUUID() } }), after())}
              >
                Approve
              </button>
              <button
                type="button"
                className="secondary"
                onClick={async () => {
                  const reason = prompt('Why is it rejected? (the developer sees this)');
                  if (reason?.trim()) {
                    await reject({ input: { id: r.id, reason: reason.trim(), idempotencyKey: crypto.randomUUID() } });
                    after();
                  }
                }}
              >
                Reject
              </button>
            </div>
          </li>
        ))}
      </ul>
      <UserErrors errors={approved.data?.approveAccessRequest.errors ?? rejected.data?.rejectAccessRequest.errors} />
      <h2>Organizations ({organizations.length})</h2>
      {data && organizations.length === 0 ? <p>No organization is waiting.</p> : null}
      <ul className="cards">
        {organizations.map(({ node: o }) => (
          <li key={o.id} className="card">
            <h3>{o.name}</h3>
            <p>
              <code>{o.slug}</code> · asked by {o.createdBy ?? 'unknown'} on {dateTime(o.createdAt)}
            </p>
            <button
              type="button"
              onClick={async () => (await approveOrganization({ input: { id: o.id, idempotencyKey: crypto.randomUUID() } }), after())}
            >
              Approve {o.name}
            </button>
          </li>
        ))}
      </ul>
      <UserErrors errors={orgApproved.data?.approveOrganization.errors} />
    </Page>
  );
}
