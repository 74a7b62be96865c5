import { adminIdentity, bearer, developerIdentity, mutateId, type BenchIdentity } from './graphql';
import { mapLimit } from './stats';

/** What `seed()` created; scenarios may add their own data on top. */
export interface SeedData {
  admin: BenchIdentity;
  adminAuth: string;
  /** A developer who is ORG_ADMIN of `organizationId`. */
  viewer: BenchIdentity;
  viewerAuth: string;
  catalogId: string;
  productIds: string[];
  planIds: string[];
  organizationId: string;
}

export const SEED_PRODUCTS = 20;
export const SEED_PLANS = 4;

/**
 * The catalog page's data, created through the gateway's GraphQL API as a portal admin: one
 * PUBLIC catalog with 20 PUBLISHED products and 4 PUBLISHED plans (so every product offers 4
 * plans), and an ACTIVE organization whose ORG_ADMIN is the benchmark's viewer.
 */
export async function seed(gatewayUrl: string): Promise<SeedData> {
  const admin = adminIdentity();
  const adminAuth = bearer(admin);
  const viewer = developerIdentity('bench-viewer');
  const catalogId = await mutateId(gatewayUrl, adminAuth, 'createCatalog', 'CreateCatalogInput', 'catalog', {
    name: 'Bench catalog',
    description: 'Everything the benchmark’s catalog page shows.',
    visibility: 'PUBLIC',
  });
  const planIds = await mapLimit(
    Array.from({ length: SEED_PLANS }, (_, i) => i),
    2,
    (i) =>
      mutateId(gatewayUrl, adminAuth, 'createPlan', 'CreatePlanInput', 'plan', {
        name: `bench-plan-${i + 1}`,
        displayName: `Plan ${i + 1}`,
        description: `Tier ${i + 1} of the benchmark catalog.`,
        catalogIds: [catalogId],
        status: 'PUBLISHED',
        tier: i + 1,
        quota: { requests: 1000 * 10 ** i, period: 'MONTH' },
        rateLimit: { requests: 10 * (i + 1), perSeconds: 1 },
      }),
  );
  const productIds = await mapLimit(
    Array.from({ length: SEED_PRODUCTS }, (_, i) => i),
    4,
    (i) =>
      mutateId(gatewayUrl, adminAuth, 'createProduct', 'CreateProductInput', 'product', {
        slug: `bench-product-${String(i + 1).padStart(2, '0')}`,
        name: `Bench product ${i + 1}`,
        description: `Product ${i + 1} of the benchmark catalog.`,
        status: 'PUBLISHED',
        tykApiIds: [`bench-api-${i + 1}`],
        tags: ['bench'],
        catalogIds: [catalogId],
      }),
  );
  const organizationId = await mutateId(gatewayUrl, adminAuth, 'createOrganization', 'CreateOrganizationInput', 'organization', {
    name: 'Bench organization',
    slug: 'bench-organization',
    adminSubject: viewer.sub,
  });
  return { admin, adminAuth, viewer, viewerAuth: bearer(viewer), catalogId, productIds, planIds, organizationId };
}
