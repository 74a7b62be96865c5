/**
 * The product use cases: create, update, archive. Each runs inside the mutation's transaction
 * (`runMutation`), after the resolver has checked the caller is a portal admin; each enqueues the
 * provider sync of the product in the same transaction.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { userError, UserErrorException } from '../../../common/errors';
import { canonicalInput, idempotentCall, runIdempotent } from '../../../common/idempotency';
import { isUuid } from '../../../common/ids';
import { Validation } from '../../../common/mutation';
import { Product, ProductStatus } from '../entities/product';
import { replaceProductCatalogs } from '../data/catalog-products';
import type { ArchiveProductInput, CreateProductInput, UpdateProductInput } from '../resolvers/product.types';
import {
  checkCustomFields,
  checkDescription,
  checkDocumentation,
  checkExisting,
  checkName,
  checkSlug,
  checkTags,
  checkTykApiIds,
  idList,
  type DocumentationValue,
} from './validation';
import { enqueueProductSync } from './product-sync';
import { checkManagedBy } from '../../../common/catalog-labels';
import { recordWebhookEvent } from '../../../common/webhooks';

type ProductResult = { product: Product | null };

export const SLUG_TAKEN = {
  product_slug_key: { field: 'input.slug', message: 'A product with this slug exists already: choose another slug.' },
};

const NEEDS_API = 'A PUBLISHED product must grant at least one Tyk API: add its Tyk API ids to `tykApiIds`, or keep the product DRAFT.';

/** Settings shared by create and update, checked and normalised; undefined = not given. */
interface ProductSettings {
  name?: string;
  displayName?: string;
  description?: string;
  tykApiIds?: string[];
  tags?: string[];
  customFields?: { key: string; value: string }[];
  /** null: remove the documentation. */
  documentation?: DocumentationValue | null;
  catalogIds?: string[];
  /** null: clear the label. */
  managedBy?: string | null;
}

export function given<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}

function checkSettings(v: Validation, input: CreateProductInput | UpdateProductInput): ProductSettings {
  const settings: ProductSettings = {};
  if (given(input.name)) {
    settings.name = input.name.trim();
    checkName(v, settings.name, 'input.name');
  }
  if (given(input.displayName)) {
    settings.displayName = input.displayName.trim();
    checkName(v, settings.displayName, 'input.displayName', 'a display name');
  }
  if (given(input.description)) {
    settings.description = input.description;
    checkDescription(v, settings.description);
  }
  if (given(input.tykApiIds)) settings.tykApiIds = checkTykApiIds(v, input.tykApiIds);
  if (given(input.tags)) settings.tags = checkTags(v, input.tags);
  if (given(input.customFields)) settings.customFields = checkCustomFields(v, input.customFields);
  if (input.documentation === null) settings.documentation = null;
  else if (input.documentation !== undefined) settings.documentation = checkDocumentation(v, input.documentation);
  if (given(input.catalogIds)) settings.catalogIds = idList(v, input.catalogIds, 'input.catalogIds');
  const managedBy = checkManagedBy(v, input.managedBy, 'input.managedBy');
  if (managedBy !== undefined) settings.managedBy = managedBy;
  return settings;
}

function apply(product: Product, settings: ProductSettings): void {
  if (settings.name !== undefined) product.name = settings.name;
  if (settings.displayName !== undefined) product.displayName = settings.displayName;
  if (settings.description !== undefined) product.description = settings.description;
  if (settings.tykApiIds !== undefined) product.tykApiIds = settings.tykApiIds;
  if (settings.tags !== undefined) product.tags = settings.tags;
  if (settings.customFields !== undefined) product.customFields = settings.customFields;
  if (settings.managedBy !== undefined) product.managedBy = settings.managedBy;
  if (settings.documentation !== undefined) {
    product.documentationFormat = settings.documentation?.format ?? null;
    product.documentationBody = settings.documentation?.body ?? null;
  }
}

/** Locks and returns the product, or throws the typed NOT_FOUND on `input.id`. */
async function lockProduct(em: EntityManager, id: string): Promise<Product> {
  const product = isUuid(id) ? await em.findOne(Product, { id: id.toLowerCase() }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
  if (!product) throw new UserErrorException([userError('NOT_FOUND', 'input.id', `No product with id \`${id}\`: check the id.`)]);
  return product;
}

function refuseArchived(product: Product, doing: string): void {
  if (product.status === ProductStatus.ARCHIVED) {
    throw new UserErrorException([
      userError('INVALID_TRANSITION', 'input.id', `The product is ARCHIVED and cannot be ${doing}: create a new product instead.`),
    ]);
  }
}

/** `createProduct`: a new product in the given catalogs. */
export async function createProduct(em: EntityManager, now: Date, subject: string, input: CreateProductInput): Promise<ProductResult> {
  const idempotency = idempotentCall('products', subject, 'createProduct', input.idempotencyKey, canonicalInput(input));
  return runIdempotent<{ product: Product | null }>(em, idempotency, now, {
    replay: async (first) => ({ product: await em.findOneOrFail(Product, { id: first.resultId }, { refresh: true }) }),
    resultOf: (result) => ({ id: result.product!.id }),
    run: async () => {
      const v = new Validation();
      const slug = input.slug.trim();
      checkSlug(v, slug);
      const settings = checkSettings(v, input);
      const name = settings.name ?? '';
      const status = input.status ?? ProductStatus.DRAFT;
      if (status === ProductStatus.PUBLISHED && !v.errors.some((e) => e.field === 'input.tykApiIds')) {
        v.check((settings.tykApiIds ?? []).length > 0, 'input.tykApiIds', NEEDS_API);
      }
      if (!v.errors.length) await checkExisting(em, v, 'products.catalog', settings.catalogIds ?? [], 'input.catalogIds', 'catalog');
      v.done();
      const product = em.create(Product, { slug, name, displayName: settings.displayName ?? name, status });
      apply(product, settings);
      await em.flush();
      if (settings.catalogIds?.length) await replaceProductCatalogs(em, product.id, settings.catalogIds);
      await enqueueProductSync(em, [product.id]);
      await productEvent(em, 'PRODUCT_CREATED', product, now);
      return { product };
    },
  });
}

/** The product's webhook event, in the transaction of its change. */
function productEvent(em: EntityManager, type: 'PRODUCT_CREATED' | 'PRODUCT_UPDATED', product: Product, now: Date): Promise<void> {
  return recordWebhookEvent(em, {
    type,
    organizationId: null,
    occurredAt: now,
    data: { productId: product.id, slug: product.slug, status: product.status, version: product.version },
  });
}

/** `updateProduct`: fields left out keep their value; bumps `version`. */
export async function updateProduct(em: EntityManager, now: Date, input: UpdateProductInput): Promise<ProductResult> {
  const product = await lockProduct(em, input.id);
  if (given(input.expectedVersion) && input.expectedVersion !== product.version) {
    throw new UserErrorException([
      userError(
        'VERSION_CONFLICT',
        'input.expectedVersion',
        `The product changed meanwhile: it is at version ${product.version}, not ${input.expectedVersion}. Reload it and apply your change again.`,
      ),
    ]);
  }
  refuseArchived(product, 'changed');
  const v = new Validation();
  const settings = checkSettings(v, input);
  const status = input.status ?? product.status;
  if (status === ProductStatus.PUBLISHED && !v.errors.some((e) => e.field === 'input.tykApiIds')) {
    v.check((settings.tykApiIds ?? product.tykApiIds).length > 0, 'input.tykApiIds', NEEDS_API);
  }
  if (!v.errors.length) await checkExisting(em, v, 'products.catalog', settings.catalogIds ?? [], 'input.catalogIds', 'catalog');
  v.done();
  apply(product, settings);
  product.status = status;
  product.version += 1;
  product.updatedAt = now;
  await em.flush();
  if (settings.catalogIds !== undefined) await replaceProductCatalogs(em, product.id, settings.catalogIds);
  await enqueueProductSync(em, [product.id]);
  await productEvent(em, 'PRODUCT_UPDATED', product, now);
  return { product };
}

/** `archiveProduct`: no longer offered, no longer changeable; bumps `version`. */
export async function archiveProduct(em: EntityManager, now: Date, input: ArchiveProductInput): Promise<ProductResult> {
  const product = await lockProduct(em, input.id);
  refuseArchived(product, 'archived again');
  product.status = ProductStatus.ARCHIVED;
  product.version += 1;
  product.updatedAt = now;
  await em.flush();
  await enqueueProductSync(em, [product.id]);
  await productEvent(em, 'PRODUCT_UPDATED', product, now);
  return { product };
}
