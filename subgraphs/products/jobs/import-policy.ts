/**
 * `products.importPolicy` (sent by the provider's dashboard-first import): an access policy found
 * in Tyk becomes a bare DRAFT product with the id the provider chose, and later renames or API
 * changes in Tyk update it (version + 1).
 *
 * - Upsert by `productId` in one transaction (an advisory lock per id, then the row lock): running
 *   the job twice changes nothing the second time.
 * - The slug is derived from the name (lowercase letters, digits, single hyphens, at most 64
 *   characters) and made unique with `-2`, `-3`, …; it stays as it is on renames (portal links).
 * - Name and display name are the policy's name (1–120 characters); on a rename the display name
 *   follows only while it still equals the name (not edited in the portal). Product names need not
 *   be unique, so only the slug gets a suffix.
 * - Tyk API ids outside the product rules are dropped (logged).
 * - No provider sync is enqueued (the change came from the provider). An ARCHIVED product is not
 *   changed (archived products are frozen), which is logged.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditActor } from '../../../common/audit';
import { isUuid } from '../../../common/ids';
import { IMPORT_REASONS, type ProductImportPayload } from '../../../common/job-payloads';
import { JOB_TASKS } from '../../../common/jobs';
import type { Logger } from '../../../common/logger';
import { transactionLock } from '../../../common/sql';
import { Product, ProductStatus } from '../entities/product';
import { LIMITS, SLUG_PATTERN, TYK_API_ID_PATTERN } from '../services/validation';

export const IMPORT_ACTOR = 'system:import';
const REASONS = IMPORT_REASONS;
export type { ProductImportPayload };

export function parseProductImport(payload: unknown, log: Logger): ProductImportPayload | null {
  const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const ok =
    isUuid(p.productId) &&
    typeof p.name === 'string' &&
    typeof p.policyId === 'string' &&
    typeof p.providerId === 'string' &&
    REASONS.includes(p.reason as ProductImportPayload['reason']) &&
    (p.tykApiIds === undefined || (Array.isArray(p.tykApiIds) && p.tykApiIds.every((id) => typeof id === 'string')));
  if (!ok) {
    log.warn({ task: JOB_TASKS.importProduct, payload }, 'dropped an import job with a malformed payload');
    return null;
  }
  return {
    providerId: p.providerId as string,
    policyId: p.policyId as string,
    productId: (p.productId as string).toLowerCase(),
    name: p.name as string,
    tykApiIds: (p.tykApiIds as string[] | undefined) ?? [],
    reason: p.reason as ProductImportPayload['reason'],
  };
}

/** The product name from a policy name: no control characters, 1–120 characters. */
export function productName(policyName: string, fallback: string): string {
  const clean = (text: string) =>
    text
      .replace(/[\u0000-\u001F\u007F]/g, ' ')
      .trim()
      .slice(0, LIMITS.name)
      .trim();
  return clean(policyName) || clean(fallback) || 'Imported product';
}

/** A slug from a name: lowercase ASCII letters and digits joined by single hyphens, at most `max` characters. */
export function slugOf(name: string, max = LIMITS.slug - 6): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
  return SLUG_PATTERN.test(slug) ? slug : 'imported-product';
}

/** Tyk API ids the product rules accept (at most 50, no duplicates). */
export function acceptedApiIds(ids: readonly string[]): { ids: string[]; dropped: string[] } {
  const accepted: string[] = [];
  const dropped: string[] = [];
  for (const raw of ids) {
    const id = raw.trim();
    if (id.length < 1 || id.length > LIMITS.tykApiId || !TYK_API_ID_PATTERN.test(id) || accepted.length >= LIMITS.tykApiIds)
      dropped.push(raw.slice(0, 130));
    else if (!accepted.includes(id)) accepted.push(id);
  }
  return { ids: accepted, dropped };
}

async function uniqueSlug(em: EntityManager, base: string): Promise<string> {
  const rows = await em
    .getConnection()
    .execute<{ slug: string }[]>(
      `select slug from products.product where slug = ? or slug like ?`,
      [base, `${base}-%`],
      'all',
      em.getTransactionContext(),
    );
  const taken = new Set(rows.map((r) => r.slug));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

export async function importProduct(
  em: EntityManager,
  payload: ProductImportPayload,
  log: Logger,
): Promise<'created' | 'updated' | 'unchanged' | 'skipped'> {
  return em.transactional(async (tx) => {
    const t = tx as EntityManager;
    await transactionLock(t, `plangraph:products:import:${payload.productId}`);
    const context = { providerId: payload.providerId, policyId: payload.policyId, productId: payload.productId, reason: payload.reason };
    const apis = acceptedApiIds(payload.tykApiIds);
    if (apis.dropped.length)
      log.warn({ ...context, dropped: apis.dropped }, 'imported policy names Tyk API ids outside the product rules; dropped');
    const name = productName(payload.name, payload.policyId);
    const product = await t.findOne(Product, { id: payload.productId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });

    if (!product) {
      const slug = await uniqueSlug(t, slugOf(name));
      t.create(Product, { id: payload.productId, slug, name, displayName: name, tykApiIds: apis.ids, status: ProductStatus.DRAFT });
      await t.flush();
      log.info({ ...context, slug }, 'imported a policy as a new DRAFT product');
      return 'created';
    }
    if (product.status === ProductStatus.ARCHIVED) {
      log.warn(context, 'imported policy changed in the provider, but its product is ARCHIVED (frozen): not updated');
      return 'skipped';
    }
    const displayName = product.displayName === product.name ? name : product.displayName;
    if (product.name === name && product.displayName === displayName && sameList(product.tykApiIds, apis.ids)) return 'unchanged';
    product.name = name;
    product.displayName = displayName;
    product.tykApiIds = apis.ids;
    product.version += 1;
    await t.flush();
    log.info({ ...context, name }, 'updated a product from its imported policy');
    return 'updated';
  });
}

export function importActor(): { audit: AuditActor } {
  return { audit: { actor: IMPORT_ACTOR, roles: [], requestId: null, action: JOB_TASKS.importProduct } };
}
