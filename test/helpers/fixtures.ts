import { gatewayRequest, type Identity } from './graphql';
import { unique } from './db';

/** Builds catalogue data through the gateway's public API, as a portal admin would. */
export class Fixtures {
  constructor(
    private readonly url: string,
    private readonly admin: Identity,
  ) {}

  private async mutate(mutation: string, inputType: string, field: string, input: Record<string, unknown>): Promise<any> {
    const r = await gatewayRequest(
      this.url,
      `mutation($i: ${inputType}!) { ${mutation}(input: $i) { ${field} { id } errors { code field message } } }`,
      { i: input },
      this.admin,
    );
    if (r.errors?.length) throw new Error(`${mutation}: ${JSON.stringify(r.errors)}`);
    const payload = r.data[mutation];
    if (payload.errors.length) throw new Error(`${mutation}: ${JSON.stringify(payload.errors)}`);
    return payload[field].id;
  }

  async catalog(
    options: { name?: string; visibility?: 'PUBLIC' | 'PRIVATE'; organizationIds?: string[]; teamIds?: string[] } = {},
  ): Promise<string> {
    const visibility = options.visibility ?? 'PUBLIC';
    return this.mutate('createCatalog', 'CreateCatalogInput', 'catalog', {
      name: options.name ?? unique('catalog'),
      visibility,
      ...(visibility === 'PRIVATE' ? { audience: { organizationIds: options.organizationIds ?? [], teamIds: options.teamIds ?? [] } } : {}),
    });
  }

  async product(options: { slug?: string; catalogIds?: string[]; status?: string; name?: string } = {}): Promise<string> {
    const slug = options.slug ?? unique('product');
    return this.mutate('createProduct', 'CreateProductInput', 'product', {
      slug,
      name: options.name ?? slug,
      status: options.status ?? 'PUBLISHED',
      tykApiIds: [`api-${slug}`],
      catalogIds: options.catalogIds ?? [],
    });
  }

  async plan(
    options: {
      name?: string;
      catalogIds?: string[];
      status?: string;
      tier?: number;
      autoApprove?: boolean;
      accessRequestLimit?: { allowance: number; renewalSeconds: number } | null;
      keyExpiresAfterSeconds?: number | null;
    } = {},
  ): Promise<string> {
    return this.mutate('createPlan', 'CreatePlanInput', 'plan', {
      name: options.name ?? unique('plan'),
      displayName: options.name ?? 'Plan',
      catalogIds: options.catalogIds ?? [],
      status: options.status ?? 'PUBLISHED',
      tier: options.tier ?? 1,
      quota: { requests: 1000, period: 'DAY' },
      rateLimit: { requests: 10, perSeconds: 1 },
      autoApprove: options.autoApprove ?? false,
      accessRequestLimit: options.accessRequestLimit ?? null,
      keyExpiresAfterSeconds: options.keyExpiresAfterSeconds ?? null,
    });
  }

  async organization(adminSubject: string): Promise<string> {
    const slug = unique('org');
    return this.mutate('createOrganization', 'CreateOrganizationInput', 'organization', { name: slug, slug, adminSubject });
  }
}
