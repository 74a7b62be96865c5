import { unique } from '../helpers/db';
import { gatewayRequest, portalAdmin, subgraphRequest, type GraphQLResponse, type Identity } from '../helpers/graphql';

/** The subgraph that owns each kind of seed data. */
type Owner = 'products' | 'plans' | 'developers' | 'provider';

/**
 * Where seed mutations go: the gateway's URL, or the URL of each owner subgraph a suite starts alone
 * (seeding for an owner it did not start throws).
 */
export type SeedTarget = string | Partial<Record<Owner, string>>;

export interface CatalogOptions {
  name?: string;
  visibility?: 'PUBLIC' | 'PRIVATE';
  organizationIds?: string[];
  teamIds?: string[];
  productIds?: string[];
}

export interface ProductOptions {
  slug?: string;
  name?: string;
  displayName?: string;
  catalogIds?: string[];
  status?: string;
  tykApiIds?: string[];
}

export interface PlanOptions {
  name?: string;
  displayName?: string;
  catalogIds?: string[];
  status?: string;
  tier?: number;
  quota?: { requests: number; period: string };
  /** `null`: no rate limit. */
  rateLimit?: { requests: number; perSeconds: number } | null;
  jwtScopes?: string[];
  autoApprove?: boolean;
  accessRequestLimit?: { allowance: number; renewalSeconds: number } | null;
  keyExpiresAfterSeconds?: number | null;
  credentialMetadata?: { key: string; value: string }[];
  boostAllowance?: {
    maxExtraQuotaPercent: number;
    maxExtraRatePercent: number;
    maxDurationSeconds: number;
    maxBoosts: number;
    windowSeconds: number;
  } | null;
}

export interface OrganizationOptions {
  name?: string;
  slug?: string;
}

export interface Offer {
  catalogId: string;
  productIds: string[];
  planId: string;
}

/**
 * Builds catalogue and organization data through the public API, as a portal admin would — the
 * one seed API of the suites, whether they run the whole platform (`new Seed(gatewayUrl, admin)`)
 * or a few subgraphs alone (`new Seed({ products, plans, developers }, admin)`). Every name is
 * unique unless given, so suites sharing a database never collide. A mutation that returns
 * errors throws, so a broken fixture fails the test where it is built.
 *
 * ```ts
 * const seed = new Seed(platform.gatewayUrl, admin);
 * const catalogId = await seed.catalog({ visibility: 'PRIVATE', organizationIds: [orgId] });
 * const { planId, productIds } = await seed.offer().withProducts(1).withPlan({ autoApprove: true });
 * ```
 */
export class Seed {
  constructor(
    private readonly target: SeedTarget,
    readonly admin: Identity = portalAdmin(),
  ) {}

  /** The same target, seeding as someone else. */
  as(identity: Identity): Seed {
    return new Seed(this.target, identity);
  }

  private async request(owner: Owner, query: string, variables: Record<string, unknown>): Promise<GraphQLResponse> {
    if (typeof this.target === 'string') return gatewayRequest(this.target, query, variables, this.admin);
    const url = this.target[owner];
    if (!url) throw new Error(`no ${owner} subgraph to seed through`);
    return subgraphRequest(url, query, variables, this.admin);
  }

  /** Runs `mutation(input: …)` and returns the id of its payload's `field`. */
  private async mutate(owner: Owner, mutation: string, inputType: string, field: string, input: Record<string, unknown>): Promise<string> {
    const response = await this.request(
      owner,
      `mutation($i: ${inputType}!) { ${mutation}(input: $i) { ${field} { id } errors { code field message } } }`,
      { i: input },
    );
    const payload = response.data?.[mutation];
    if (response.errors?.length || !payload || payload.errors.length) {
      throw new Error(`${mutation}: ${JSON.stringify(response.errors ?? payload?.errors ?? response)}`);
    }
    return payload[field].id;
  }

  /** A Tyk Gateway provider (the Tyk test server, say), made the default unless told. */
  provider(tyk: { url: string; secret: string; orgId: string }, options: { makeDefault?: boolean } = {}): Promise<string> {
    return this.mutate('provider', 'registerProvider', 'RegisterProviderInput', 'provider', {
      name: unique('tyk'),
      kind: 'TYK_GATEWAY',
      baseUrl: tyk.url,
      secret: tyk.secret,
      tykOrgId: tyk.orgId,
      ...(options.makeDefault === false ? {} : { makeDefault: true }),
    });
  }

  catalog(options: CatalogOptions = {}): Promise<string> {
    const visibility = options.visibility ?? 'PUBLIC';
    return this.mutate('products', 'createCatalog', 'CreateCatalogInput', 'catalog', {
      name: options.name ?? unique('catalog'),
      visibility,
      ...(visibility === 'PRIVATE' ? { audience: { organizationIds: options.organizationIds ?? [], teamIds: options.teamIds ?? [] } } : {}),
      ...(options.productIds ? { productIds: options.productIds } : {}),
    });
  }

  /** A product (PUBLISHED unless told) with one Tyk API named after its slug unless told. */
  product(options: ProductOptions = {}): Promise<string> {
    const slug = options.slug ?? unique('product');
    return this.mutate('products', 'createProduct', 'CreateProductInput', 'product', {
      slug,
      name: options.name ?? slug,
      ...(options.displayName !== undefined ? { displayName: options.displayName } : {}),
      status: options.status ?? 'PUBLISHED',
      tykApiIds: options.tykApiIds ?? [`api-${slug}`],
      catalogIds: options.catalogIds ?? [],
    });
  }

  /** A plan (PUBLISHED, tier 1, 1000 requests a day, 10 a second unless told). */
  plan(options: PlanOptions = {}): Promise<string> {
    return this.mutate('plans', 'createPlan', 'CreatePlanInput', 'plan', {
      name: options.name ?? unique('plan'),
      displayName: options.displayName ?? options.name ?? 'Plan',
      catalogIds: options.catalogIds ?? [],
      status: options.status ?? 'PUBLISHED',
      tier: options.tier ?? 1,
      quota: options.quota ?? { requests: 1000, period: 'DAY' },
      rateLimit: options.rateLimit === undefined ? { requests: 10, perSeconds: 1 } : options.rateLimit,
      autoApprove: options.autoApprove ?? false,
      accessRequestLimit: options.accessRequestLimit ?? null,
      keyExpiresAfterSeconds: options.keyExpiresAfterSeconds ?? null,
      ...(options.credentialMetadata ? { credentialMetadata: options.credentialMetadata } : {}),
      ...(options.jwtScopes ? { jwtScopes: options.jwtScopes } : {}),
      ...(options.boostAllowance ? { boostAllowance: options.boostAllowance } : {}),
    });
  }

  async archivePlan(planId: string): Promise<void> {
    await this.mutate('plans', 'archivePlan', 'ArchivePlanInput', 'plan', { id: planId });
  }

  /** An ACTIVE organization created by the portal admin, with `adminSubject` (if any) as its ORG_ADMIN; named after its slug unless told. */
  organization(adminSubject?: string, options: OrganizationOptions = {}): Promise<string> {
    const slug = options.slug ?? unique('org');
    return this.mutate('developers', 'createOrganization', 'CreateOrganizationInput', 'organization', {
      name: options.name ?? slug,
      slug,
      ...(adminSubject !== undefined ? { adminSubject } : {}),
    });
  }

  /**
   * Something to request access to: a public catalog, published products in it (two unless
   * told) and a plan offering them. Chain `withProducts` and `withPlan`, then await it.
   */
  offer(): OfferBuilder {
    return new OfferBuilder(this);
  }
}

/** A fluent description of an offer; awaiting it creates the catalog, then the products, then the plan. */
export class OfferBuilder implements PromiseLike<Offer> {
  private products = 2;
  private planOptions: Omit<PlanOptions, 'catalogIds'> = {};

  constructor(private readonly seed: Seed) {}

  withProducts(count: number): this {
    this.products = count;
    return this;
  }

  withPlan(options: Omit<PlanOptions, 'catalogIds'>): this {
    this.planOptions = { ...this.planOptions, ...options };
    return this;
  }

  async create(): Promise<Offer> {
    const catalogId = await this.seed.catalog();
    const productIds: string[] = [];
    for (let i = 0; i < this.products; i++) productIds.push(await this.seed.product({ catalogIds: [catalogId] }));
    const planId = await this.seed.plan({ ...this.planOptions, catalogIds: [catalogId] });
    return { catalogId, productIds, planId };
  }

  then<R1 = Offer, R2 = never>(
    onFulfilled?: ((offer: Offer) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.create().then(onFulfilled, onRejected);
  }
}
