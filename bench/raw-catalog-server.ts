/**
 * The baseline of the `catalog-sql` scenario: the catalog page answered by hand-written SQL and
 * `JSON.stringify`, with no GraphQL, ORM or gateway in between. It applies the same visibility
 * rule as the subgraphs (PUBLISHED products and plans in catalogs the caller may see: PUBLIC ones
 * and those whose audience holds one of the caller's ACTIVE organizations or teams) and returns the
 * same JSON as the gateway, so the scenario can check that both answers are equal before it
 * measures them.
 *
 * A benchmark fixture, never shipped: `POST /` with `{"variables": {"catalog": "<id>"}}` and the
 * caller's subject in `x-bench-subject` (the gateway would take it from a verified token).
 * Environment: `DATABASE_URL`, `PORT`.
 */
import http from 'node:http';
import pg from 'pg';

const VISIBLE_CATALOGS = `
  select c.id from products.catalog c where c.visibility = 'PUBLIC'
  union
  select a.catalog_id from products.catalog_audience a
    join developers.membership_contract m on m.organization_id = a.organization_id
   where m.subject = $1 and m.organization_status = 'ACTIVE'
  union
  select a.catalog_id from products.catalog_audience a
    join developers.team_membership_contract t on t.team_id = a.team_id
   where t.subject = $1 and t.organization_status = 'ACTIVE'`;

/** The page's products (oldest first, 20 and one more to know there is a next page), the total and each product's visible catalogs. */
const PRODUCTS = `
  with visible as (${VISIBLE_CATALOGS}),
  matching as (
    select p.id, p.slug, p.name, p.display_name, p.created_at
      from products.product p
     where p.status = 'PUBLISHED'
       and $2::uuid in (select id from visible)
       and exists (select 1 from products.catalog_product cp where cp.product_id = p.id and cp.catalog_id = $2::uuid)
       and exists (select 1 from products.catalog_product cp join visible v on v.id = cp.catalog_id where cp.product_id = p.id)),
  page as (select *, (select count(*) from matching) as total from matching order by created_at, id limit 21)
  select page.id, page.slug, page.name, page.display_name, page.total,
         coalesce(array_agg(c.id order by c.created_at, c.id) filter (where c.id is not null), '{}') as catalog_ids,
         coalesce(array_agg(c.name order by c.created_at, c.id) filter (where c.id is not null), '{}') as catalog_names
    from page
    left join products.catalog_product cp on cp.product_id = page.id and cp.catalog_id in (select id from visible)
    left join products.catalog c on c.id = cp.catalog_id
   group by page.id, page.slug, page.name, page.display_name, page.total, page.created_at
   order by page.created_at, page.id`;

/** PUBLISHED plans in any of the given (visible) catalogs, by tier then name. */
const PLANS = `
  select id, name, display_name, tier, quota_requests, quota_period, quota_period_seconds, rate_requests, rate_per_seconds, catalog_ids
    from plans.plan
   where status = 'PUBLISHED' and catalog_ids && $1::uuid[]
   order by tier, name`;

interface ProductRow {
  id: string;
  slug: string;
  name: string;
  display_name: string;
  total: string;
  catalog_ids: string[];
  catalog_names: string[];
}

interface PlanRow {
  id: string;
  name: string;
  display_name: string;
  tier: number;
  quota_requests: number | null;
  quota_period: string | null;
  quota_period_seconds: number | null;
  rate_requests: number | null;
  rate_per_seconds: number | null;
  catalog_ids: string[];
}

async function catalogPage(pool: pg.Pool, subject: string, catalogId: string): Promise<unknown> {
  const products = (await pool.query<ProductRow>(PRODUCTS, [subject, catalogId])).rows.slice(0, 20);
  const catalogs = [...new Set(products.flatMap((p) => p.catalog_ids))];
  const plans = catalogs.length ? (await pool.query<PlanRow>(PLANS, [catalogs])).rows : [];
  const plan = (row: PlanRow) => {
    const quota = row.quota_requests !== null && row.quota_period !== null && row.quota_period_seconds !== null;
    const rate = row.rate_requests !== null && row.rate_per_seconds !== null;
    return {
      id: row.id,
      name: row.name,
      displayName: row.display_name,
      tier: row.tier,
      quota: { unlimited: !quota, requests: quota ? row.quota_requests : null, period: quota ? row.quota_period : null },
      rateLimit: { unlimited: !rate, requests: rate ? row.rate_requests : null, perSeconds: rate ? row.rate_per_seconds : null },
    };
  };
  return {
    data: {
      products: {
        totalCount: Number(products[0]?.total ?? 0),
        edges: products.map((p) => {
          const shared = new Set(p.catalog_ids);
          return {
            node: {
              id: p.id,
              slug: p.slug,
              name: p.name,
              displayName: p.display_name,
              catalogs: p.catalog_ids.map((id, i) => ({ id, name: p.catalog_names[i] })),
              availablePlans: plans.filter((row) => row.catalog_ids.some((id) => shared.has(id))).map(plan),
            },
          };
        }),
      },
    },
  };
}

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    void (async () => {
      try {
        const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { variables?: { catalog?: string } }) : {};
        const subject = String(request.headers['x-bench-subject'] ?? '');
        const page = await catalogPage(pool, subject, String(body.variables?.catalog ?? ''));
        const json = JSON.stringify(page);
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
        response.end(json);
      } catch (error) {
        const json = JSON.stringify({ errors: [{ message: (error as Error).message }] });
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(json);
      }
    })();
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.on(signal, () => {
    server.close();
    void pool.end().finally(() => process.exit(0));
  });
