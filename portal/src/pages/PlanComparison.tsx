import { useQuery } from 'urql';
import { graphql } from '../gql';
import { Link } from '../router';
import { useSession } from '../session';
import { Loading, Page, QueryError, duration, number } from '../ui';

const ProductPlansQuery = graphql(`
  query PortalProductPlans($slug: String!) {
    product(slug: $slug) {
      id
      slug
      displayName
      descriptionHtml
      availablePlans {
        id
        displayName
        description
        tier
        trialDays
        autoApprove
        keyExpiresAfterSeconds
        jwtScopes
        quotaScope
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
        endpointRules {
          productId
          allow {
            path
            methods
          }
          allowedTypes {
            name
            fields
          }
        }
      }
    }
  }
`);

/** One product and a side-by-side table of its plans, by tier. */
export function PlanComparison({ slug }: { slug: string }) {
  const session = useSession();
  const [{ data, fetching, error }] = useQuery({ query: ProductPlansQuery, variables: { slug } });
  if (fetching && !data) return <Loading what="Loading the plans" />;
  const product = data?.product;
  if (!product)
    return (
      <Page title="Not found">
        <QueryError error={error} />
        <p>
          No such API. <Link to="/">Back to the catalogue</Link>
        </p>
      </Page>
    );
  const plans = [...product.availablePlans].sort((a, b) => a.tier - b.tier);
  return (
    <Page title={product.displayName}>
      {/* The API's own description, rendered to safe HTML by the products subgraph. */}
      <div className="prose" dangerouslySetInnerHTML={{ __html: product.descriptionHtml }} />
      <h2 id="plans-heading">Compare plans</h2>
      {plans.length === 0 ? (
        <p>No plan of this API is offered to you.</p>
      ) : (
        <div className="table-scroll" role="region" aria-labelledby="plans-heading" tabIndex={0}>
          <table className="compare">
            <caption className="visually-hidden">Plans of {product.displayName} by tier</caption>
            <thead>
              <tr>
                <th scope="col">Plan</th>
                {plans.map((plan) => (
                  <th scope="col" key={plan.id}>
                    {plan.displayName}
                    <span className="muted"> · tier {plan.tier}</span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">Quota</th>
                {plans.map((p) => (
                  <td key={p.id}>
                    {p.quota.unlimited ? 'Unlimited' : `${number(p.quota.requests)} requests / ${duration(p.quota.periodSeconds)}`}
                  </td>
                ))}
              </tr>
              <tr>
                <th scope="row">Rate limit</th>
                {plans.map((p) => (
                  <td key={p.id}>
                    {p.rateLimit.unlimited ? 'Unlimited' : `${number(p.rateLimit.requests)} requests / ${duration(p.rateLimit.perSeconds)}`}
                  </td>
                ))}
              </tr>
              <tr>
                <th scope="row">Quota shared by</th>
                {plans.map((p) => (
                  <td key={p.id}>{{ CREDENTIAL: 'each key', APP: 'each app', ORGANIZATION: 'the whole organization' }[p.quotaScope]}</td>
                ))}
              </tr>
              <tr>
                <th scope="row">Key lifetime</th>
                {plans.map((p) => (
                  <td key={p.id}>{duration(p.keyExpiresAfterSeconds)}</td>
                ))}
              </tr>
              <tr>
                <th scope="row">Scopes</th>
                {plans.map((p) => (
                  <td key={p.id}>{p.jwtScopes.length ? p.jwtScopes.map((s) => <code key={s}>{s} </code>) : '—'}</td>
                ))}
              </tr>
              <tr>
                <th scope="row">Endpoints</th>
                {plans.map((p) => {
                  const rule = p.endpointRules.find((r) => r.productId === product.id);
                  return (
                    <td key={p.id}>
                      {!rule ? (
                        'All endpoints, premium included'
                      ) : (
                        <ul className="plain">
                          {rule.allow.map((a) => (
                            <li key={a.path}>
                              <code>{a.path}</code> {a.methods.join(', ')}
                            </li>
                          ))}
                          {rule.allowedTypes.map((t) => (
                            <li key={t.name}>
                              <code>{t.name}</code>: {t.fields.join(', ')}
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                  );
                })}
              </tr>
              <tr>
                <th scope="row">Approval</th>
                {plans.map((p) => (
                  <td key={p.id}>
                    {p.autoApprove ? 'Instant' : 'Reviewed by the API team'}
                    {p.trialDays ? ` · ${p.trialDays}-day trial` : ''}
                  </td>
                ))}
              </tr>
              <tr>
                <th scope="row">
                  <span className="visually-hidden">Request access</span>
                </th>
                {plans.map((p) => (
                  <td key={p.id}>
                    {session ? (
                      <Link className="button" to={`/request?plan=${p.id}&product=${product.id}`}>
                        Request {p.displayName}
                      </Link>
                    ) : (
                      <Link to="/sign-in">Sign in to request</Link>
                    )}
                  </td>
                ))}
              </tr>
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
