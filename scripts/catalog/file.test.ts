/**
 * The catalogue file without a platform: the JSON Schema's bounds are the subgraphs' own, the
 * canonical form is stable (formatting a read file gives the same bytes, whatever the order in
 * the file), and errors name their lines.
 */
import fs from 'node:fs';
import { LABEL_MAX, LABEL_PATTERN } from '../../common/catalog-labels';
import * as planLimits from '../../subgraphs/plans/services/limits';
import { LIMITS as productLimits, SLUG_PATTERN } from '../../subgraphs/products/services/validation';
import { CatalogueFileError, formatCatalogue, parseCatalogue, SCHEMA_FILE } from './file';

const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
const product = schema.definitions.product.properties;
const catalog = schema.definitions.catalog.properties;
const plan = schema.definitions.plan.properties;

describe('schema/catalog.schema.json', () => {
  it('has the bounds the products and plans subgraphs enforce', () => {
    expect(product.slug).toMatchObject({ pattern: SLUG_PATTERN.source, maxLength: productLimits.slug });
    expect(product.tykApiIds.maxItems).toBe(productLimits.tykApiIds);
    expect(product.tags.maxItems).toBe(productLimits.tags);
    expect(product.customFields.items.properties.value.maxLength).toBe(productLimits.customFieldValue);
    expect(catalog.key).toMatchObject({ pattern: LABEL_PATTERN.source, maxLength: LABEL_MAX });
    expect(plan.key).toMatchObject({ pattern: LABEL_PATTERN.source, maxLength: LABEL_MAX });
    expect(plan.catalogs.maxItems).toBe(planLimits.MAX_CATALOGS);
    expect(plan.jwtScopes).toMatchObject({ maxItems: planLimits.MAX_SCOPES });
    expect(plan.jwtScopes.items.maxLength).toBe(planLimits.MAX_SCOPE_LENGTH);
    expect(plan.credentialMetadata.maxItems).toBe(planLimits.MAX_METADATA_ENTRIES);
    expect(plan.credentialMetadata.items.properties.value.maxLength).toBe(planLimits.MAX_METADATA_VALUE);
    expect(plan.keyExpiresAfterSeconds.oneOf[1]).toMatchObject({ minimum: planLimits.MIN_KEY_EXPIRY, maximum: planLimits.MAX_KEY_EXPIRY });
    expect(plan.quota.oneOf[1].properties.requests.maximum).toBe(planLimits.MAX_QUOTA_REQUESTS);
    expect(plan.quota.oneOf[2].properties.periodSeconds).toMatchObject({
      minimum: planLimits.MIN_CUSTOM_PERIOD,
      maximum: planLimits.MAX_CUSTOM_PERIOD,
    });
    expect(plan.rateLimit.oneOf[1].properties.perSeconds.maximum).toBe(planLimits.MAX_RATE_WINDOW);
    expect(plan.accessRequestLimit.oneOf[1].properties.renewalSeconds).toMatchObject({
      minimum: planLimits.MIN_RENEWAL,
      maximum: planLimits.MAX_RENEWAL,
    });
    expect(plan.tier.maximum).toBe(planLimits.MAX_TIER);
    expect(plan.trialDays.oneOf[1].maximum).toBe(planLimits.MAX_TRIAL_DAYS);
    expect(plan.endpointRules.maxItems).toBe(planLimits.MAX_ENDPOINT_RULES);
    const rule = plan.endpointRules.items.properties;
    expect(rule.allow.maxItems).toBe(planLimits.MAX_RULE_PATHS);
    expect(rule.allow.items.properties.path.maxLength).toBe(planLimits.MAX_RULE_PATH_LENGTH);
    expect([...rule.allow.items.properties.methods.items.enum].sort()).toEqual([...planLimits.HTTP_METHODS].sort());
    // Every scope the schema lets through, the plans subgraph takes as one scope (no spaces or commas).
    const scope = new RegExp(plan.jwtScopes.items.pattern, 'u');
    for (let code = 0x20; code < 0x7f; code++) {
      const c = String.fromCharCode(code);
      expect([c, scope.test(c)]).toEqual([c, planLimits.SCOPE_PATTERN.test(c) && c !== ',']);
    }
  });
});

describe('the canonical form', () => {
  const shuffled = [
    'version: 1',
    'plans:',
    '  - name: b',
    '    key: b',
    '    jwtScopes: [z.write, a.read]',
    '  - key: a',
    '    name: a',
    '    catalogs: [y, x]',
    'catalogs:',
    '  - { key: y, name: Y, visibility: PUBLIC }',
    '  - { key: x, name: X, visibility: PRIVATE, audience: { organizations: [o2, o1] }, products: [q, p] }',
    'products:',
    '  - { slug: q, name: Q, tags: [b, a] }',
    '  - { slug: p, name: P }',
    '',
  ].join('\n');

  it('sorts entries and sets, keeps ordered lists, fills every default, and reads back to the same bytes', () => {
    const text = formatCatalogue(parseCatalogue(shuffled));
    expect(formatCatalogue(parseCatalogue(text))).toBe(text);
    expect(text.indexOf('- slug: p')).toBeLessThan(text.indexOf('- slug: q'));
    expect(text).toContain('    tags:\n      - a\n      - b\n');
    expect(text).toContain('      organizations:\n        - o1\n        - o2\n');
    expect(text).toContain('    jwtScopes:\n      - z.write\n      - a.read\n');
    expect(text).toContain('  - key: b\n    name: b\n    displayName: b\n    description: ""\n    status: DRAFT\n');
  });
});

describe('errors', () => {
  const errors = (text: string) => {
    try {
      parseCatalogue(text, 'c.yaml');
    } catch (error) {
      if (error instanceof CatalogueFileError) return error.errors.map((e) => `${e.line}:${e.column} ${e.at}: ${e.message}`);
      throw error;
    }
    return [];
  };

  it('names the line of each problem, all at once', () => {
    expect(
      errors(
        ['version: 2', 'products:', '  - slug: p', '    name: P', '    status: PUBLISHED', '  - slug: p', '    name: P2', ''].join('\n'),
      ),
    ).toEqual(['1:10 version: must be 1']);
    expect(
      errors(
        ['version: 1', 'products:', '  - slug: p', '    name: P', '    status: PUBLISHED', '  - slug: p', '    name: P2', ''].join('\n'),
      ),
    ).toEqual([
      '5:13 products[0].status: a PUBLISHED product needs at least one Tyk API id in `tykApiIds`',
      '6:11 products[1].slug: the slug `p` is used twice (first by products[0])',
    ]);
    expect(errors('version: 1\nversion: 1\n')[0]).toMatch(/^2:1 : Map keys must be unique/);
  });
});
