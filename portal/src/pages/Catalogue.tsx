import { useQuery } from 'urql';
import { graphql } from '../gql';
import { Link } from '../router';
import { Loading, Page, QueryError, number } from '../ui';

const CatalogueQuery = graphql(`
  query PortalCatalogue($first: Int!) {
    products(first: $first) {
      totalCount
      edges {
        node {
          id
          slug
          displayName
          description
          tags
          availablePlans {
            id
            displayName
            tier
            quota {
              unlimited
              requests
              period
            }
          }
        }
      }
    }
  }
`);

/** The public catalogue: every product the caller may see, with the plans it is offered under. */
export function Catalogue() {
  const [{ data, fetching, error }] = useQuery({ query: CatalogueQuery, variables: { first: 50 } });
  return (
    <Page title="API catalogue">
      <p className="lead">Browse the APIs on offer, compare their plans, and request access for one of your apps.</p>
      <QueryError error={error} />
      {fetching && !data ? <Loading what="Loading the catalogue" /> : null}
      {data && data.products.edges.length === 0 ? <p>No APIs are published yet.</p> : null}
      <ul className="cards">
        {data?.products.edges.map(({ node: product }) => (
          <li key={product.id} className="card">
            <h2>
              <Link to={`/products/${encodeURIComponent(product.slug)}`}>{product.displayName}</Link>
            </h2>
            <p>{product.description || 'No description yet.'}</p>
            {product.tags.length ? (
              <ul className="tags" aria-label="Tags">
                {product.tags.map((tag) => (
                  <li key={tag}>{tag}</li>
                ))}
              </ul>
            ) : null}
            <p className="muted">
              {product.availablePlans.length === 0
                ? 'No plan offered to you yet.'
                : `${product.availablePlans.length} plan${product.availablePlans.length === 1 ? '' : 's'}: ` +
                  [...product.availablePlans]
                    .sort((a, b) => a.tier - b.tier)
                    .map(
                      (p) =>
                        `${p.displayName} (${p.quota.unlimited ? 'unlimited' : `${number(p.quota.requests)}/${p.quota.period?.toLowerCase()}`})`,
                    )
                    .join(', ')}
            </p>
          </li>
        ))}
      </ul>
    </Page>
  );
}
