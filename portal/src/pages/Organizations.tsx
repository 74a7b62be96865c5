import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { Loading, Page, QueryError, UserErrors, dateTime } from '../ui';

const MyOrganizationsQuery = graphql(`
  query PortalMyOrganizations {
    viewer {
      id
      subject
      memberships {
        role
        since
        organization {
          id
          name
          slug
          status
          members {
            id
            subject
            role
          }
        }
      }
      pendingInvitations {
        id
        role
        expiresAt
        organization {
          id
          name
        }
      }
    }
  }
`);

const RequestOrganizationMutation = graphql(`
  mutation PortalRequestOrganization($input: RequestOrganizationInput!) {
    requestOrganization(input: $input) {
      organization {
        id
        name
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

const AcceptInvitationMutation = graphql(`
  mutation PortalAcceptInvitation($input: AcceptInvitationInput!) {
    acceptInvitation(input: $input) {
      errors {
        code
        field
        message
      }
    }
  }
`);

const InviteMemberMutation = graphql(`
  mutation PortalInviteMember($input: InviteMemberInput!) {
    inviteMember(input: $input) {
      invitation {
        id
        email
        role
        expiresAt
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

/** An organization admin invites someone by email (the invitation waits 7 days). */
function InviteMember({ organizationId, name }: { organizationId: string; name: string }) {
  const [result, invite] = useMutation(InviteMemberMutation);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'MEMBER' | 'ORG_ADMIN'>('MEMBER');
  const id = `invite-${organizationId}`;
  return (
    <form
      className="form"
      aria-label={`Invite someone to ${name}`}
      onSubmit={async (event) => {
        event.preventDefault();
        const done = await invite({ input: { organizationId, email: email.trim(), role, idempotencyKey: crypto.randomUUID() } });
        if (done.data?.inviteMember.invitation) setEmail('');
      }}
    >
      <label htmlFor={`${id}-email`}>Invite by email</label>
      <input id={`${id}-email`} type="email" required maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} />
      <label htmlFor={`${id}-role`}>Role</label>
      <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as 'MEMBER' | 'ORG_ADMIN')}>
        <option value="MEMBER">member</option>
        <option value="ORG_ADMIN">organization admin</option>
      </select>
      <button type="submit" disabled={result.fetching}>
        Invite
      </button>
      <UserErrors errors={result.data?.inviteMember.errors} />
      <QueryError error={result.error} />
      {result.data?.inviteMember.invitation ? (
        <p role="status">
          Invited {result.data.inviteMember.invitation.email} until {dateTime(result.data.inviteMember.invitation.expiresAt)}.
        </p>
      ) : null}
    </form>
  );
}

const slugify = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);

/** The caller's organizations and their members, invitations to accept, and asking for a new organization. */
export function Organizations() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: MyOrganizationsQuery });
  const [requested, requestOrganization] = useMutation(RequestOrganizationMutation);
  const [accepted, acceptInvitation] = useMutation(AcceptInvitationMutation);
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await requestOrganization({ input: { name: name.trim(), slug: slug || slugify(name) } });
    if (result.data?.requestOrganization.organization) {
      setName('');
      setSlug('');
      refetch({ requestPolicy: 'network-only' });
    }
  }

  return (
    <Page title="Organizations">
      <QueryError error={error} />
      {fetching && !data ? <Loading /> : null}
      {data?.viewer?.pendingInvitations.length ? (
        <>
          <h2>Invitations</h2>
          <ul className="plain">
            {data.viewer.pendingInvitations.map((invitation) => (
              <li key={invitation.id}>
                {invitation.organization.name} invites you as {invitation.role.toLowerCase().replace('_', ' ')} (until{' '}
                {dateTime(invitation.expiresAt)}){' '}
                <button
                  type="button"
                  onClick={async () => {
                    await acceptInvitation({ input: { invitationId: invitation.id } });
                    refetch({ requestPolicy: 'network-only' });
                  }}
                >
                  Accept
                </button>
              </li>
            ))}
          </ul>
          <UserErrors errors={accepted.data?.acceptInvitation.errors} />
        </>
      ) : null}
      {data?.viewer?.memberships.length === 0 ? (
        <p>You do not belong to an organization yet: ask for one below, or accept an invitation.</p>
      ) : null}
      {data?.viewer?.memberships.map(({ organization, role, since }) => (
        <article key={organization.id} className="card">
          <h2>
            {organization.name} <span className={`badge ${organization.status.toLowerCase()}`}>{organization.status}</span>
          </h2>
          <p className="muted">
            You are {role === 'ORG_ADMIN' ? 'an organization admin' : 'a member'} since {dateTime(since)}.
          </p>
          {organization.members ? (
            <table>
              <caption>Members of {organization.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Subject</th>
                  <th scope="col">Role</th>
                </tr>
              </thead>
              <tbody>
                {organization.members.map((member) => (
                  <tr key={member.id}>
                    <td>{member.subject}</td>
                    <td>{member.role}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {role === 'ORG_ADMIN' && organization.status === 'ACTIVE' ? (
            <InviteMember organizationId={organization.id} name={organization.name} />
          ) : null}
        </article>
      ))}
      <form className="form" onSubmit={submit}>
        <h2>Ask for a new organization</h2>
        <p className="muted">A portal admin reviews it; you become its admin once it is approved.</p>
        <label htmlFor="org-name">Name</label>
        <input id="org-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        <label htmlFor="org-slug">Short name (slug)</label>
        <input id="org-slug" maxLength={48} placeholder={slugify(name)} value={slug} onChange={(e) => setSlug(e.target.value)} />
        <button type="submit" disabled={requested.fetching}>
          Ask for it
        </button>
        <UserErrors errors={requested.data?.requestOrganization.errors} />
        <QueryError error={requested.error} />
        {requested.data?.requestOrganization.organization ? (
          <p role="status">Asked for {requested.data.requestOrganization.organization.name}: waiting for a portal admin.</p>
        ) : null}
      </form>
    </Page>
  );
}
