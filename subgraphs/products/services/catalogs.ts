/**
 * The catalog use cases: create and update. Each runs inside the mutation's transaction
 * (`runMutation`), after the resolver has checked the caller is a portal admin; each enqueues the
 * provider sync of every product put into or taken out of the catalog in the same transaction.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { userError, UserErrorException } from '../../../common/errors';
import { canonicalInput, idempotentCall, runIdempotent } from '../../../common/idempotency';
import { isUuid } from '../../../common/ids';
import { Validation } from '../../../common/mutation';
import { query } from '../../../common/sql';
import { Catalog, CatalogAudienceMember, CatalogVisibility } from '../entities/catalog';
import { addCatalogProducts, removeCatalogProducts, touchProducts } from '../data/catalog-products';
import type { CatalogAudienceInput, CreateCatalogInput, DeleteCatalogInput, UpdateCatalogInput } from '../resolvers/catalog.types';
import { enqueueProductSync } from './product-sync';
import { checkDescription, checkExisting, checkName, idList } from './validation';
import { checkKey, checkManagedBy } from '../../../common/catalog-labels';

type CatalogResult = { catalog: Catalog | null };

export const NAME_TAKEN = {
  catalog_name_key: { field: 'input.name', message: 'A catalog with this name exists already: choose another name.' },
  catalog_key_key: { field: 'input.key', message: 'A catalog with this key exists already: choose another key.' },
};

const PUBLIC_HAS_NO_AUDIENCE =
  'A PUBLIC catalog is open to everyone and takes no audience: leave `audience` out (or null) or make the catalog PRIVATE.';

interface Audience {
  organizationIds: string[];
  teamIds: string[];
}

function checkAudience(v: Validation, input: CatalogAudienceInput): Audience {
  return {
    organizationIds: idList(v, input.organizationIds, 'input.audience.organizationIds'),
    teamIds: idList(v, input.teamIds, 'input.audience.teamIds'),
  };
}

/** Organizations and teams are the developers subgraph's: checked through its published views. */
async function checkAudienceExists(em: Parameters<typeof checkExisting>[0], v: Validation, audience: Audience): Promise<void> {
  await checkExisting(
    em,
    v,
    'developers.organization_contract',
    audience.organizationIds,
    'input.audience.organizationIds',
    'organization',
  );
  await checkExisting(em, v, 'developers.team_contract', audience.teamIds, 'input.audience.teamIds', 'team');
}

function audienceMembers(catalogId: string, audience: Audience): Partial<CatalogAudienceMember>[] {
  return [
    ...audience.organizationIds.map((organizationId) => ({ catalogId, organizationId, teamId: null })),
    ...audience.teamIds.map((teamId) => ({ catalogId, organizationId: null, teamId })),
  ];
}

/** `createCatalog`: a new catalog with its audience and products. */
export async function createCatalog(em: EntityManager, now: Date, subject: string, input: CreateCatalogInput): Promise<CatalogResult> {
  const idempotency = idempotentCall('products', subject, 'createCatalog', input.idempotencyKey, canonicalInput(input));
  return runIdempotent<{ catalog: Catalog | null }>(em, idempotency, now, {
    replay: async (first) => ({ catalog: await em.findOneOrFail(Catalog, { id: first.resultId }, { refresh: true }) }),
    resultOf: (result) => ({ id: result.catalog!.id }),
    run: async () => {
      const v = new Validation();
      const name = input.name.trim();
      checkName(v, name, 'input.name');
      const description = input.description ?? '';
      checkDescription(v, description);
      const audience = checkAudience(v, input.audience ?? {});
      const hasAudience = audience.organizationIds.length + audience.teamIds.length > 0;
      v.check(!(input.visibility === CatalogVisibility.PUBLIC && hasAudience), 'input.audience', PUBLIC_HAS_NO_AUDIENCE);
      const productIds = idList(v, input.productIds, 'input.productIds');
      const key = checkKey(v, input.key, 'input.key') ?? null;
      const managedBy = checkManagedBy(v, input.managedBy, 'input.managedBy') ?? null;
      if (!v.errors.length) {
        await checkExisting(em, v, 'products.product', productIds, 'input.productIds', 'product');
        await checkAudienceExists(em, v, audience);
      }
      v.done();
      const catalog = em.create(Catalog, { name, description, visibility: input.visibility, key, managedBy });
      await em.flush();
      for (const member of audienceMembers(catalog.id, audience)) em.create(CatalogAudienceMember, member as CatalogAudienceMember);
      await em.flush();
      const added = await addCatalogProducts(em, catalog.id, productIds);
      await touchProducts(em, added);
      await enqueueProductSync(em, added);
      return { catalog };
    },
  });
}

/** `updateCatalog`: name, description, visibility, audience (replaced) and products (added and removed). */
export async function updateCatalog(em: EntityManager, now: Date, input: UpdateCatalogInput): Promise<CatalogResult> {
  const catalog = isUuid(input.id)
    ? await em.findOne(Catalog, { id: input.id.toLowerCase() }, { lockMode: LockMode.PESSIMISTIC_WRITE })
    : null;
  if (!catalog) throw new UserErrorException([userError('NOT_FOUND', 'input.id', `No catalog with id \`${input.id}\`: check the id.`)]);

  const v = new Validation();
  const name = input.name === null || input.name === undefined ? undefined : input.name.trim();
  if (name !== undefined) checkName(v, name, 'input.name');
  if (input.description !== null && input.description !== undefined) checkDescription(v, input.description);
  const visibility = input.visibility ?? catalog.visibility;
  // undefined: keep the audience; otherwise replace it (null clears it).
  const audience = input.audience === undefined ? undefined : checkAudience(v, input.audience ?? {});
  const addProductIds = idList(v, input.addProductIds, 'input.addProductIds');
  const removeProductIds = idList(v, input.removeProductIds, 'input.removeProductIds');
  const key = checkKey(v, input.key, 'input.key');
  const managedBy = checkManagedBy(v, input.managedBy, 'input.managedBy');
  const both = addProductIds.filter((id) => removeProductIds.includes(id));
  v.check(!both.length, 'input.removeProductIds', `Add or remove a product, not both: ${both.map((id) => `\`${id}\``).join(', ')}.`);
  if (visibility === CatalogVisibility.PUBLIC) {
    const keptAudience =
      audience === undefined
        ? (await query<{ n: string }>(em, `select count(*) as n from products.catalog_audience where catalog_id = ?`, [catalog.id]))[0]
            .n !== '0'
        : audience.organizationIds.length + audience.teamIds.length > 0;
    v.check(
      !keptAudience,
      'input.audience',
      audience === undefined
        ? 'This catalog still has an audience: pass `audience: null` to clear it when making the catalog PUBLIC.'
        : PUBLIC_HAS_NO_AUDIENCE,
    );
  }
  if (!v.errors.length) {
    await checkExisting(em, v, 'products.product', addProductIds, 'input.addProductIds', 'product');
    if (audience) await checkAudienceExists(em, v, audience);
  }
  v.done();

  if (name !== undefined) catalog.name = name;
  if (input.description !== null && input.description !== undefined) catalog.description = input.description;
  catalog.visibility = visibility;
  if (key !== undefined) catalog.key = key;
  if (managedBy !== undefined) catalog.managedBy = managedBy;
  catalog.updatedAt = now;
  await em.flush();
  if (audience !== undefined) {
    await em.nativeDelete(CatalogAudienceMember, { catalogId: catalog.id });
    for (const member of audienceMembers(catalog.id, audience)) em.create(CatalogAudienceMember, member as CatalogAudienceMember);
    await em.flush();
  }
  const added = await addCatalogProducts(em, catalog.id, addProductIds);
  const removed = await removeCatalogProducts(em, catalog.id, removeProductIds.filter(isUuid));
  await touchProducts(em, [...added, ...removed]);
  await enqueueProductSync(em, [...added, ...removed]);
  return { catalog };
}

/** Plans listed in a catalog (any status), read from the plans subgraph's published view; at most `limit`. */
async function plansInCatalog(em: EntityManager, catalogId: string, limit: number): Promise<string[]> {
  const rows = await query<{ name: string }>(
    em,
    `select name from plans.plan_contract where catalog_ids && array[?::uuid] order by name limit ${limit}`,
    [catalogId],
  );
  return rows.map((row) => row.name);
}

/**
 * `deleteCatalog`: deletes a catalog that no plan is in (plans name their catalogs; take the
 * catalog out of them first). Its audience goes with it and its products leave it (they stay,
 * with their provider sync enqueued, since what they are offered with changed).
 */
export async function deleteCatalog(em: EntityManager, input: DeleteCatalogInput): Promise<{ deletedCatalogId: string | null }> {
  const catalog = isUuid(input.id)
    ? await em.findOne(Catalog, { id: input.id.toLowerCase() }, { lockMode: LockMode.PESSIMISTIC_WRITE })
    : null;
  if (!catalog) throw new UserErrorException([userError('NOT_FOUND', 'input.id', `No catalog with id \`${input.id}\`: check the id.`)]);
  const plans = await plansInCatalog(em, catalog.id, 6);
  if (plans.length) {
    const named = plans
      .slice(0, 5)
      .map((name) => `\`${name}\``)
      .join(', ');
    throw new UserErrorException([
      userError(
        'CATALOG_IN_USE',
        'input.id',
        `Plans are in this catalog (${named}${plans.length > 5 ? ', …' : ''}): take it out of their \`catalogIds\` first (updatePlan), then delete it.`,
      ),
    ]);
  }
  const productIds = (
    await query<{ product_id: string }>(em, `select product_id::text as product_id from products.catalog_product where catalog_id = ?`, [
      catalog.id,
    ])
  ).map((row) => row.product_id);
  await em.nativeDelete(CatalogAudienceMember, { catalogId: catalog.id });
  await removeCatalogProducts(em, catalog.id, productIds);
  em.remove(catalog);
  await em.flush();
  await touchProducts(em, productIds);
  await enqueueProductSync(em, productIds);
  return { deletedCatalogId: catalog.id };
}
