import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../../gql';
import type { QuotaPeriod } from '../../gql/graphql';
import { Loading, Page, QueryError, UserErrors, dateTime, number } from '../../ui';

const PlanQuery = graphql(`
  query PortalPlanEditor($id: ID!) {
    plan(id: $id) {
      id
      displayName
      status
      version
      quotaScope
      keyExpiresAfterSeconds
      quota {
        unlimited
        requests
        period
        periodSeconds
      }
      rateLimit {
        unlimited
        requests
        perSeconds
      }
    }
    planChangeRequests(planId: $id, status: PENDING, first: 20) {
      edges {
        node {
          id
          proposedBy
          proposedAt
          reason
          baseVersion
          changes {
            field
            before
            after
          }
          impact(days: 7) {
            countersAffected
            organizationsAffected
            requestsOverQuota
            requestsOverRateLimit
          }
        }
      }
    }
  }
`);

const ImpactQuery = graphql(`
  query PortalPlanImpact($input: PlanChangeImpactInput!) {
    planChangeImpact(input: $input) {
      from
      to
      countersWithTraffic
      countersAffected
      organizationsAffected
      requestsOverQuota
      requestsOverRateLimit
      affected {
        scope
        organization {
          id
          name
        }
        app {
          id
          name
        }
        requests
        requestsOverQuota
        requestsOverRateLimit
      }
    }
  }
`);

const UpdatePlanMutation = graphql(`
  mutation PortalUpdatePlan($input: UpdatePlanInput!) {
    updatePlan(input: $input) {
      plan {
        id
        version
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

const ProposeMutation = graphql(`
  mutation PortalProposePlanChange($input: ProposePlanChangeInput!) {
    proposePlanChange(input: $input) {
      changeRequest {
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

const ApproveChangeMutation = graphql(`
  mutation PortalApprovePlanChange($input: ApprovePlanChangeInput!) {
    approvePlanChange(input: $input) {
      changeRequest {
        id
        status
        appliedVersion
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

const RejectChangeMutation = graphql(`
  mutation PortalRejectPlanChange($input: RejectPlanChangeInput!) {
    rejectPlanChange(input: $input) {
      changeRequest {
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

const PERIODS: QuotaPeriod[] = ['HOUR', 'DAY', 'WEEK', 'MONTH'];
const PERIOD_SECONDS: Record<string, number> = { HOUR: 3600, DAY: 86_400, WEEK: 604_800, MONTH: 2_592_000 };

interface Draft {
  quotaRequests: string;
  quotaPeriod: QuotaPeriod;
  rateRequests: string;
  ratePer: string;
  keyLifetimeDays: string;
}

/**
 * A plan's limits: edit them, preview what they would have done to the plan's recorded traffic
 * (`planChangeImpact`), save them — or, where a second admin must approve limit changes
 * (APPROVAL_REQUIRED), propose them; and review the changes other admins proposed.
 */
export function PlanEditor({ id }: { id: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: PlanQuery, variables: { id }, requestPolicy: 'network-only' });
  const [draft, setDraft] = useState<Draft | null>(null);
  const [previewInput, setPreviewInput] = useState<Draft | null>(null);
  const [impact] = useQuery({
    query: ImpactQuery,
    variables: { input: previewInput ? toImpactInput(id, previewInput) : { planId: id } },
    pause: !previewInput,
    requestPolicy: 'network-only',
  });
  const [updated, updatePlan] = useMutation(UpdatePlanMutation);
  const [proposed, propose] = useMutation(ProposeMutation);
  const [decided, approveChange] = useMutation(ApproveChangeMutation);
  const [rejectedChange, rejectChange] = useMutation(RejectChangeMutation);
  const [needsApproval, setNeedsApproval] = useState(false);
  const [reason, setReason] = useState('');
  const [saved, setSaved] = useState<string | null>(null);

  const plan = data?.plan;
  useEffect(() => {
    if (plan && !draft)
      setDraft({
        quotaRequests: plan.quota.unlimited ? '' : String(plan.quota.requests),
        quotaPeriod: plan.quota.period && plan.quota.period !== 'CUSTOM' ? plan.quota.period : 'HOUR',
        rateRequests: plan.rateLimit.unlimited ? '' : String(plan.rateLimit.requests),
        ratePer: plan.rateLimit.unlimited ? '1' : String(plan.rateLimit.perSeconds),
        keyLifetimeDays: plan.keyExpiresAfterSeconds ? String(plan.keyExpiresAfterSeconds / 86_400) : '',
      });
  }, [plan, draft]);

  if (fetching && !data) return <Loading />;
  if (!plan || !draft)
    return (
      <Page title="Plan not found">
        <QueryError error={error} />
      </Page>
    );

  const changes = () => ({
    ...(draft.quotaRequests ? { quota: { requests: Number(draft.quotaRequests), period: draft.quotaPeriod } } : {}),
    ...(draft.rateRequests ? { rateLimit: { requests: Number(draft.rateRequests), perSeconds: Number(draft.ratePer) } } : {}),
    ...(draft.keyLifetimeDays ? { keyExpiresAfterSeconds: Math.round(Number(draft.keyLifetimeDays) * 86_400) } : {}),
  });

  async function save(event: FormEvent) {
    event.preventDefault();
    setSaved(null);
    const result = await updatePlan({ input: { id, expectedVersion: plan!.version, ...changes() } });
    const payload = result.data?.updatePlan;
    if (payload?.errors.some((e) => e.code === 'APPROVAL_REQUIRED')) setNeedsApproval(true);
    if (payload?.plan) {
      setSaved(`Saved as version ${payload.plan.version}.`);
      refetch({ requestPolicy: 'network-only' });
    }
  }

  async function submitProposal(event: FormEvent) {
    event.preventDefault();
    const result = await propose({
      input: { id, expectedVersion: plan!.version, changes: changes(), reason: reason.trim(), idempotencyKey: crypto.randomUUID() },
    });
    if (result.data?.proposePlanChange.changeRequest) {
      setNeedsApproval(false);
      setReason('');
      refetch({ requestPolicy: 'network-only' });
    }
  }

  const field = (key: keyof Draft) => ({
    value: draft[key],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value }),
  });
  const preview = impact.data?.planChangeImpact;
  return (
    <Page title={`Edit ${plan.displayName}`}>
      <p className="muted">
        Version {plan.version} · {plan.status} · quota counted per {plan.quotaScope.toLowerCase()}
      </p>
      <form className="form" onSubmit={save}>
        <fieldset>
          <legend>Quota</legend>
          <label htmlFor="quota-requests">Requests per period (blank: keep)</label>
          <input id="quota-requests" type="number" min={1} inputMode="numeric" {...field('quotaRequests')} />
          <label htmlFor="quota-period">Period</label>
          <select
            id="quota-period"
            value={draft.quotaPeriod}
            onChange={(e) => setDraft({ ...draft, quotaPeriod: e.target.value as QuotaPeriod })}
          >
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                {p.toLowerCase()}
              </option>
            ))}
          </select>
        </fieldset>
        <fieldset>
          <legend>Rate limit</legend>
          <label htmlFor="rate-requests">Requests (blank: keep)</label>
          <input id="rate-requests" type="number" min={1} inputMode="numeric" {...field('rateRequests')} />
          <label htmlFor="rate-per">Per seconds</label>
          <input id="rate-per" type="number" min={1} inputMode="numeric" {...field('ratePer')} />
        </fieldset>
        <label htmlFor="key-lifetime">Key lifetime in days (blank: keep)</label>
        <input id="key-lifetime" type="number" min={0} step="any" inputMode="decimal" {...field('keyLifetimeDays')} />
        <div className="actions">
          <button type="button" className="secondary" onClick={() => setPreviewInput({ ...draft })}>
            Preview impact
          </button>
          <button type="submit" disabled={updated.fetching}>
            Save
          </button>
        </div>
        <UserErrors errors={updated.data?.updatePlan.errors.filter((e) => e.code !== 'APPROVAL_REQUIRED')} />
        {saved ? <p role="status">{saved}</p> : null}
      </form>
      {needsApproval ? (
        <form className="form" onSubmit={submitProposal} aria-labelledby="propose-title">
          <h2 id="propose-title">A second admin must approve this change</h2>
          <label htmlFor="reason">Why change it?</label>
          <textarea id="reason" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
          <button type="submit" disabled={proposed.fetching}>
            Propose change
          </button>
          <UserErrors errors={proposed.data?.proposePlanChange.errors} />
        </form>
      ) : null}
      {previewInput ? (
        <section aria-labelledby="impact-title" className="card">
          <h2 id="impact-title">Impact on the last 7 days of traffic</h2>
          <QueryError error={impact.error} />
          {impact.fetching && !preview ? <Loading what="Replaying traffic" /> : null}
          {preview ? (
            <>
              <p role="status">
                {preview.countersAffected} of {preview.countersWithTraffic} counters with traffic would have been limited, in{' '}
                {preview.organizationsAffected} organization(s): {number(preview.requestsOverQuota)} requests over quota,{' '}
                {number(preview.requestsOverRateLimit)} over the rate limit.
              </p>
              {preview.affected.length ? (
                <table>
                  <caption className="visually-hidden">Who would have been limited</caption>
                  <thead>
                    <tr>
                      <th scope="col">Organization</th>
                      <th scope="col">App</th>
                      <th scope="col">Requests</th>
                      <th scope="col">Over quota</th>
                      <th scope="col">Over rate</th>
                    </tr>
                  </thead>
                  <tbody>
                    {preview.affected.map((a, i) => (
                      <tr key={i}>
                        <td>{a.organization.name}</td>
                        <td>{a.app?.name ?? '—'}</td>
                        <td>{number(a.requests)}</td>
                        <td>{number(a.requestsOverQuota)}</td>
                        <td>{number(a.requestsOverRateLimit)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
            </>
          ) : null}
        </section>
      ) : null}
      <h2>Proposed changes</h2>
      {data?.planChangeRequests.edges.length === 0 ? <p className="muted">None waiting.</p> : null}
      {data?.planChangeRequests.edges.map(({ node: r }) => (
        <article key={r.id} className="card" aria-label={`Change proposed by ${r.proposedBy}`}>
          <h3>
            Proposed by {r.proposedBy} on {dateTime(r.proposedAt)}
          </h3>
          <p>“{r.reason}”</p>
          <ul className="plain">
            {r.changes.map((c) => (
              <li key={c.field}>
                <strong>{c.field}</strong>: <code>{c.before ?? '—'}</code> → <code>{c.after ?? '—'}</code>
              </li>
            ))}
          </ul>
          {r.impact ? (
            <p className="muted">
              Impact: {r.impact.countersAffected} counter(s) in {r.impact.organizationsAffected} organization(s) would have been limited.
            </p>
          ) : null}
          <div className="actions">
            <button
              type="button"
              onClick={async () => {
                await approveChange({ input: { id: r.id, idempotencyKey: crypto.randomUUID() } });
                refetch({ requestPolicy: 'network-only' });
              }}
            >
              Approve change
            </button>
            <button
              type="button"
              className="secondary"
              onClick={async () => {
                const why = prompt('Why is it rejected?');
                if (why?.trim()) {
                  await rejectChange({ input: { id: r.id, reason: why.trim(), idempotencyKey: crypto.randomUUID() } });
                  refetch({ requestPolicy: 'network-only' });
                }
              }}
            >
              Reject change
            </button>
          </div>
        </article>
      ))}
      <UserErrors errors={decided.data?.approvePlanChange.errors ?? rejectedChange.data?.rejectPlanChange.errors} />
    </Page>
  );
}

function toImpactInput(planId: string, draft: Draft) {
  return {
    planId,
    days: 7,
    ...(draft.quotaRequests ? { quota: { requests: Number(draft.quotaRequests), periodSeconds: PERIOD_SECONDS[draft.quotaPeriod]! } } : {}),
    ...(draft.rateRequests ? { rateLimit: { requests: Number(draft.rateRequests), perSeconds: Number(draft.ratePer) } } : {}),
  };
}
