import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { LockMode, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { connectionType, PageArgs, paginate } from '../../../common/relay';
import { UserError, UserErrorException, badInput, userError } from '../../../common/errors';
import { runMutation, Validation } from '../../../common/mutation';
import { canonicalInput, idempotencyKeyDescription, idempotentCall, runIdempotent } from '../../../common/idempotency';
import { KeyValueInput } from '../../../common/key-value';
import { renderMarkdown } from '../../../common/markdown';
import { isUuid } from '../../../common/ids';
import { SEARCH_RULE, searchPattern } from '../../../common/search';
import type { SubgraphContext } from '../../../common/server';
import { Catalog } from '../entities/catalog';
import { DocumentationFormat, Product, ProductStatus } from '../entities/product';
import { ProductDocumentation } from '../types';
import { canSeeCatalog, clearLoaders, loadVisibleProduct, productCatalogsLoader, visibleProductsFilter } from '../access';
import { enqueueProductSync } from '../jobs';
import { replaceProductCatalogs } from '../links';
import {
  LIMITS,
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
} from '../validation';

export const ProductConnection = connectionType(Product, 'Product', 'product');

export { likePattern } from '../../../common/search';

@InputType({ description: 'Filters for `products`.' })
export class ProductFilter {
  @Field(() => [ProductStatus], {
    nullable: true,
    description: 'Only these statuses (everyone but portal admins sees PUBLISHED products only).',
  })
  status?: ProductStatus[] | null;

  @Field(() => String, {
    nullable: true,
    description: `Only products whose name, display name or slug contains this text (${SEARCH_RULE}).`,
  })
  search?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only products in this catalog (nothing when the caller may not see the catalog).' })
  catalogId?: string | null;

  @Field(() => String, { nullable: true, description: `Only products with this tag (case-insensitive, at most ${LIMITS.tag} characters).` })
  tag?: string | null;
}

@InputType({ description: 'Documentation of a product: Markdown text stored here, or a link to documentation elsewhere.' })
export class DocumentationInput {
  @Field(() => DocumentationFormat, { description: 'MARKDOWN (give `markdown`, no `url`) or URL (give `url`, no `markdown`).' })
  format!: DocumentationFormat;

  @Field(() => String, {
    nullable: true,
    description: `Markdown text, at most ${LIMITS.markdown.toLocaleString('en-US')} characters; only for format MARKDOWN.`,
  })
  markdown?: string | null;

  @Field(() => String, {
    nullable: true,
    description: `Absolute http or https URL, at most ${LIMITS.url} characters; only for format URL.`,
  })
  url?: string | null;
}

@InputType({ description: 'A new product.' })
export class CreateProductInput {
  @Field(() => String, {
    description: `Unique URL-safe slug: lowercase letters, digits and single hyphens, at most ${LIMITS.slug} characters.`,
  })
  slug!: string;

  @Field(() => String, { description: `Internal name, 1–${LIMITS.name} characters.` })
  name!: string;

  @Field(() => String, { nullable: true, description: `Name shown to developers, 1–${LIMITS.name} characters; defaults to \`name\`.` })
  displayName?: string | null;

  @Field(() => String, {
    nullable: true,
    description: `Markdown description, at most ${LIMITS.description.toLocaleString('en-US')} characters.`,
  })
  description?: string | null;

  @Field(() => [String], {
    nullable: true,
    description: `Ids of the Tyk APIs the product grants access to: at most ${LIMITS.tykApiIds}, each once, 1–${LIMITS.tykApiId} characters of letters, digits, \`.\`, \`_\`, \`:\` and \`-\`. A PUBLISHED product needs at least one.`,
  })
  tykApiIds?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description: `Tags: at most ${LIMITS.tags}, each 1–${LIMITS.tag} characters of lowercase letters, digits, \`-\` and \`_\` (stored lowercase, duplicates dropped).`,
  })
  tags?: string[] | null;

  @Field(() => [KeyValueInput], {
    nullable: true,
    description: `Custom fields: at most ${LIMITS.customFields}, unique keys of 1–${LIMITS.customFieldKey} characters, values of at most ${LIMITS.customFieldValue} characters.`,
  })
  customFields?: KeyValueInput[] | null;

  @Field(() => DocumentationInput, { nullable: true, description: 'Documentation (Markdown or a URL); leave out for none.' })
  documentation?: DocumentationInput | null;

  @Field(() => ProductStatus, { nullable: true, description: 'Initial status (default DRAFT). PUBLISHED needs at least one Tyk API id.' })
  status?: ProductStatus | null;

  @Field(() => [ID], { nullable: true, description: 'Catalogs the product belongs to (developers see a published product through them).' })
  catalogIds?: string[] | null;

  @Field(() => String, { nullable: true, description: idempotencyKeyDescription('the same product, as it is now') })
  idempotencyKey?: string | null;
}

@InputType({
  description: 'Changes to a product. Fields left out (or null) keep their value; `documentation: null` removes the documentation.',
})
export class UpdateProductInput {
  @Field(() => ID, { description: 'The product to change.' })
  id!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'When given, the change is refused with VERSION_CONFLICT unless the product is still at this `version`.',
  })
  expectedVersion?: number | null;

  @Field(() => String, { nullable: true, description: `New internal name, 1–${LIMITS.name} characters.` })
  name?: string | null;

  @Field(() => String, { nullable: true, description: `New display name, 1–${LIMITS.name} characters.` })
  displayName?: string | null;

  @Field(() => String, {
    nullable: true,
    description: `New Markdown description, at most ${LIMITS.description.toLocaleString('en-US')} characters.`,
  })
  description?: string | null;

  @Field(() => [String], { nullable: true, description: 'New list of Tyk API ids (replaces the old list; same rules as on create).' })
  tykApiIds?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'New list of tags (replaces the old list; same rules as on create).' })
  tags?: string[] | null;

  @Field(() => [KeyValueInput], { nullable: true, description: 'New custom fields (replace the old ones; same rules as on create).' })
  customFields?: KeyValueInput[] | null;

  @Field(() => DocumentationInput, { nullable: true, description: 'New documentation; explicit null removes it.' })
  documentation?: DocumentationInput | null;

  @Field(() => ProductStatus, { nullable: true, description: 'New status. PUBLISHED needs at least one Tyk API id; ARCHIVED is final.' })
  status?: ProductStatus | null;

  @Field(() => [ID], {
    nullable: true,
    description: 'When given, REPLACES the catalogs the product belongs to (an empty list removes it from all).',
  })
  catalogIds?: string[] | null;
}

@InputType({ description: 'The product to archive.' })
export class ArchiveProductInput {
  @Field(() => ID, { description: 'The product to archive.' })
  id!: string;
}

@ObjectType({ description: 'Result of `createProduct`.' })
export class CreateProductPayload {
  @Field(() => Product, { nullable: true, description: 'The new product; null when `errors` is not empty.' })
  product!: Product | null;

  @Field(() => [UserError], { description: 'Why nothing was created; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `updateProduct`.' })
export class UpdateProductPayload {
  @Field(() => Product, { nullable: true, description: 'The changed product; null when `errors` is not empty.' })
  product!: Product | null;

  @Field(() => [UserError], { description: 'Why nothing was changed; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `archiveProduct`.' })
export class ArchiveProductPayload {
  @Field(() => Product, { nullable: true, description: 'The archived product; null when `errors` is not empty.' })
  product!: Product | null;

  @Field(() => [UserError], { description: 'Why nothing was changed; empty on success.' })
  errors!: UserError[];
}

const SLUG_TAKEN = {
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
}

function given<T>(value: T | null | undefined): value is T {
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
  return settings;
}

function apply(product: Product, settings: ProductSettings): void {
  if (settings.name !== undefined) product.name = settings.name;
  if (settings.displayName !== undefined) product.displayName = settings.displayName;
  if (settings.description !== undefined) product.description = settings.description;
  if (settings.tykApiIds !== undefined) product.tykApiIds = settings.tykApiIds;
  if (settings.tags !== undefined) product.tags = settings.tags;
  if (settings.customFields !== undefined) product.customFields = settings.customFields;
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

@Resolver(() => Product)
export class ProductResolver {
  @Query(() => ProductConnection, {
    description:
      'Products the caller may see, oldest first. Anyone (anonymous included): PUBLISHED products in at least one catalog the caller may see. Portal admins: all products.',
  })
  async products(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => ProductFilter, { nullable: true, description: 'Narrow the list.' }) filter: ProductFilter | null,
    @Ctx() context: SubgraphContext,
  ) {
    const where: FilterQuery<Product>[] = [await visibleProductsFilter(context)];
    if (filter?.status?.length) where.push({ status: { $in: filter.status } });
    const like = searchPattern(filter?.search);
    if (like) {
      where.push({ $or: [{ name: { $ilike: like } }, { displayName: { $ilike: like } }, { slug: { $ilike: like } }] });
    }
    if (given(filter?.catalogId)) {
      const catalogId = filter.catalogId.toLowerCase();
      if (!isUuid(catalogId)) throw badInput('filter.catalogId', 'Give a catalog id (a UUID).');
      if (!(await canSeeCatalog(context, catalogId))) where.push({ id: { $in: [] } });
      else where.push({ catalogs: { $some: { id: catalogId } } });
    }
    if (given(filter?.tag) && filter.tag.trim().length > LIMITS.tag)
      throw badInput('filter.tag', `Give a tag of at most ${LIMITS.tag} characters.`);
    if (given(filter?.tag)) where.push({ tags: { $contains: [filter.tag.trim().toLowerCase()] } });
    return paginate(context.em, Product, { $and: where }, page);
  }

  @Query(() => Product, {
    nullable: true,
    description:
      'One product by id or slug (give exactly one). Anyone may ask; null when it does not exist or the caller may not see it (same rule as `products`).',
  })
  async product(
    @Arg('id', () => ID, { nullable: true, description: 'Product id (a UUID; anything else is BAD_USER_INPUT).' }) id: string | null,
    @Arg('slug', () => String, { nullable: true, description: `Product slug (at most ${LIMITS.slug} characters).` }) slug: string | null,
    @Ctx() context: SubgraphContext,
  ): Promise<Product | null> {
    if ((id ? 1 : 0) + (slug ? 1 : 0) !== 1) throw badInput(id ? 'slug' : 'id', 'Give exactly one of `id` or `slug`.');
    if (id) return loadVisibleProduct(context, id);
    if (slug!.length > LIMITS.slug) throw badInput('slug', `Give a slug of at most ${LIMITS.slug} characters.`);
    return context.em.findOne(Product, { $and: [await visibleProductsFilter(context), { slug: slug! }] });
  }

  @FieldResolver(() => String, { description: 'The description rendered from Markdown as sanitized HTML (safe to insert into a page).' })
  descriptionHtml(@Root() product: Product): string {
    return renderMarkdown(product.description);
  }

  @FieldResolver(() => ProductDocumentation, {
    nullable: true,
    description: 'The documentation (Markdown or a URL); null when the product has none.',
  })
  documentation(@Root() product: Product): ProductDocumentation | null {
    if (!product.documentationFormat || product.documentationBody === null) return null;
    const markdown = product.documentationFormat === DocumentationFormat.MARKDOWN;
    return Object.assign(new ProductDocumentation(), {
      format: product.documentationFormat,
      markdown: markdown ? product.documentationBody : null,
      html: markdown ? renderMarkdown(product.documentationBody) : null,
      url: markdown ? null : product.documentationBody,
    });
  }

  @FieldResolver(() => [Catalog], { description: 'The catalogs this product belongs to that the caller may see, oldest first.' })
  catalogs(@Root() product: Product, @Ctx() context: SubgraphContext): Promise<Catalog[]> {
    return productCatalogsLoader(context).load(product.id);
  }

  @Mutation(() => CreateProductPayload, {
    description: 'Creates a product (and puts it into the given catalogs). Portal admins only. Enqueues the provider sync of the product.',
  })
  async createProduct(
    @Arg('input', () => CreateProductInput, { description: 'The product to create.' }) input: CreateProductInput,
    @Ctx() context: SubgraphContext,
  ): Promise<CreateProductPayload> {
    const subject = context.caller.requirePortalAdmin();
    const result = await runMutation<{ product: Product | null }>(
      context,
      async (em) => {
        const idempotency = idempotentCall('products', subject, 'createProduct', input.idempotencyKey, canonicalInput(input));
        return runIdempotent<{ product: Product | null }>(em, idempotency, context.clock.now(), {
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
            return { product };
          },
        });
      },
      () => ({ product: null }),
      { uniqueFields: SLUG_TAKEN },
    );
    clearLoaders(context);
    return result;
  }

  @Mutation(() => UpdateProductPayload, {
    description:
      'Changes a product (fields left out keep their value; `catalogIds` replaces its catalogs). Portal admins only. Bumps `version` and enqueues the provider sync of the product.',
  })
  async updateProduct(
    @Arg('input', () => UpdateProductInput, { description: 'The product and the changes.' }) input: UpdateProductInput,
    @Ctx() context: SubgraphContext,
  ): Promise<UpdateProductPayload> {
    context.caller.requirePortalAdmin();
    const result = await runMutation<{ product: Product | null }>(
      context,
      async (em) => {
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
        product.updatedAt = context.clock.now();
        await em.flush();
        if (settings.catalogIds !== undefined) await replaceProductCatalogs(em, product.id, settings.catalogIds);
        await enqueueProductSync(em, [product.id]);
        return { product };
      },
      () => ({ product: null }),
    );
    clearLoaders(context);
    return result;
  }

  @Mutation(() => ArchiveProductPayload, {
    description:
      'Archives a product: it is no longer offered and can no longer be changed. Portal admins only. Bumps `version` and enqueues the provider sync of the product.',
  })
  async archiveProduct(
    @Arg('input', () => ArchiveProductInput, { description: 'The product to archive.' }) input: ArchiveProductInput,
    @Ctx() context: SubgraphContext,
  ): Promise<ArchiveProductPayload> {
    context.caller.requirePortalAdmin();
    const result = await runMutation<{ product: Product | null }>(
      context,
      async (em) => {
        const product = await lockProduct(em, input.id);
        refuseArchived(product, 'archived again');
        product.status = ProductStatus.ARCHIVED;
        product.version += 1;
        product.updatedAt = context.clock.now();
        await em.flush();
        await enqueueProductSync(em, [product.id]);
        return { product };
      },
      () => ({ product: null }),
    );
    clearLoaders(context);
    return result;
  }
}
