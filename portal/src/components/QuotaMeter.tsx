import { useEffect, useRef } from 'react';
import { useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import type { PortalQuotaStatusSubscription, PortalQuotaWarningsSubscription } from '../gql/graphql';
import { QueryError, number, until, useNow, dateTime } from '../ui';

const CredentialQuotaQuery = graphql(`
  query PortalCredentialQuota($id: ID!) {
    credential(id: $id) {
      id
      quota {
        ...PortalQuotaStatus
      }
    }
  }
`);

// The fields the meter shows, read once and then pushed (the same type both ways).
graphql(`
  fragment PortalQuotaStatus on QuotaStatus {
    scope
    limit
    used
    remaining
    percentUsed
    periodSeconds
    windowStart
    resetsAt
    burnRatePerHour
    projectedExhaustionAt
  }
`);

const QuotaStatusSubscription = graphql(`
  subscription PortalQuotaStatus($credentialId: ID!) {
    quotaStatusChanged(credentialId: $credentialId) {
      ...PortalQuotaStatus
    }
  }
`);

const QuotaWarningsSubscription = graphql(`
  subscription PortalQuotaWarnings($organizationId: ID!, $appId: ID, $after: String) {
    quotaWarnings(organizationId: $organizationId, appId: $appId, after: $after) {
      id
      cursor
      kind
      thresholdPercent
      used
      limit
      resetsAt
      credentialId
      appId
      createdAt
    }
  }
`);

type Warning = PortalQuotaWarningsSubscription['quotaWarnings'];

type Status = PortalQuotaStatusSubscription['quotaStatusChanged'];

/**
 * A credential's quota, live: used, remaining, when the window resets, the burn rate and when the
 * quota runs out at that rate. It reads `Credential.quota` once, then shows what the
 * `quotaStatusChanged` subscription pushes (once per ingest batch that changes the counter, and
 * when its window resets): no polling. The organization's `quotaWarnings` subscription shows the
 * 80/90/100 % warnings as they are raised.
 */
export function QuotaMeter({
  credentialId,
  organizationId,
  appId,
  onChange,
}: {
  credentialId: string;
  organizationId: string;
  appId: string;
  /** Called when the count of used requests changes (the usage chart reads again). */
  onChange?: (used: number) => void;
}) {
  const now = useNow();
  const [{ data, error }] = useQuery({
    query: CredentialQuotaQuery,
    variables: { id: credentialId },
    requestPolicy: 'network-only',
  });
  const [{ data: pushed }] = useSubscription(
    { query: QuotaStatusSubscription, variables: { credentialId } },
    (_previous: Status | undefined, event: PortalQuotaStatusSubscription) => event.quotaStatusChanged,
  );
  const [{ data: warnings }] = useSubscription(
    { query: QuotaWarningsSubscription, variables: { organizationId, appId } },
    (previous: Warning[] = [], event: PortalQuotaWarningsSubscription) => {
      const warning = event.quotaWarnings;
      if (warning.credentialId && warning.credentialId !== credentialId) return previous;
      return [warning, ...previous.filter((w) => w.id !== warning.id)].slice(0, 20);
    },
  );

  // The last pushed status supersedes the one read at first (a push is always newer).
  const quota = data?.credential?.quota ? (pushed ?? data.credential.quota) : data?.credential?.quota;
  const used = quota?.used;
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  useEffect(() => {
    if (used !== undefined) onChangeRef.current?.(used);
  }, [used]);
  const percent = quota?.percentUsed ?? null;
  const level = percent === null ? 'ok' : percent >= 100 ? 'exhausted' : percent >= 90 ? 'danger' : percent >= 80 ? 'warn' : 'ok';
  return (
    <section className="meter-panel" aria-labelledby="meter-title">
      <h2 id="meter-title">Quota</h2>
      <QueryError error={error} />
      {data && !quota ? <p className="muted">No quota information for this key.</p> : null}
      {quota ? (
        <>
          <div
            className={`meter ${level}`}
            role="meter"
            aria-label="Quota used"
            aria-valuemin={0}
            aria-valuemax={quota.limit ?? 100}
            aria-valuenow={Math.min(quota.used, quota.limit ?? quota.used)}
            aria-valuetext={
              quota.limit === null || quota.limit === undefined
                ? `${quota.used} requests, unlimited`
                : `${quota.used} of ${quota.limit} requests used`
            }
          >
            <div className="meter-fill" style={{ width: `${Math.min(100, percent ?? 0)}%` }} />
          </div>
          <dl className="meter-facts">
            <div>
              <dt>Used</dt>
              <dd data-fact="used">{number(quota.used)}</dd>
            </div>
            <div>
              <dt>Remaining</dt>
              <dd data-fact="remaining">{quota.limit === null || quota.limit === undefined ? 'unlimited' : number(quota.remaining)}</dd>
            </div>
            <div>
              <dt>Limit</dt>
              <dd>{quota.limit === null || quota.limit === undefined ? 'unlimited' : number(quota.limit)}</dd>
            </div>
            <div>
              <dt>Resets in</dt>
              <dd title={dateTime(quota.resetsAt)}>{quota.resetsAt ? until(quota.resetsAt, now) : 'window not started'}</dd>
            </div>
            <div>
              <dt>Burn rate</dt>
              <dd>{number(Math.round(quota.burnRatePerHour * 10) / 10)} / hour</dd>
            </div>
            <div>
              <dt>Runs out</dt>
              <dd>
                {quota.projectedExhaustionAt
                  ? `in ${until(quota.projectedExhaustionAt, now)}`
                  : percent !== null && percent >= 100
                    ? 'used up'
                    : 'not in this window'}
              </dd>
            </div>
          </dl>
        </>
      ) : null}
      <div role="log" aria-live="polite" aria-label="Quota warnings" className="warnings">
        {(warnings ?? []).map((w) => (
          <p key={w.id} className={`warning ${w.thresholdPercent >= 100 ? 'exhausted' : w.thresholdPercent >= 90 ? 'danger' : 'warn'}`}>
            <strong>{w.thresholdPercent} % of the quota used</strong> ({number(w.used)} of {number(w.limit)}), resets {dateTime(w.resetsAt)}
          </p>
        ))}
      </div>
    </section>
  );
}
