import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { badInput } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { renderMarkdown } from '../../../common/markdown';
import { runMutation } from '../../../common/mutation';
import { PageArgs } from '../../../common/relay';
import { searchPattern } from '../../../common/search';
import type { SubgraphContext } from '../../../common/server';
import { clearLoaders, loadVisibleProduct, productCatalogsLoader, visibleProductsFilter } from '../data/loaders';
import { productPage, type ProductPageFilter } from '../data/product-page';
import { Catalog } from '../entities/catalog';
import { DocumentationFormat, Product } from '../entities/product';
import { LIMITS } from '../services/validation';

import { archiveProduct, createProduct, given, SLUG_TAKEN, updateProduct } from '../services/products';
import {
  ArchiveProductInput,
  ArchiveProductPayload,
  CreateProductInput,
  CreateProductPayload,
  ProductConnection,
  ProductDocumentation,
  ProductFilter,
  UpdateProductInput,
  UpdateProductPayload,
} from './product.types';

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
    const narrow: ProductPageFilter = {};
    if (filter?.status?.length) narrow.status = filter.status;
    narrow.like = searchPattern(filter?.search);
    if (given(filter?.catalogId)) {
      const catalogId = filter.catalogId.toLowerCase();
      if (!isUuid(catalogId)) throw badInput('filter.catalogId', 'Give a catalog id (a UUID).');
      narrow.catalogId = catalogId;
    }
    if (given(filter?.tag) && filter.tag.trim().length > LIMITS.tag)
      throw badInput('filter.tag', `Give a tag of at most ${LIMITS.tag} characters.`);
    if (given(filter?.tag)) narrow.tag = filter.tag.trim().toLowerCase();
    return productPage(context, narrow, page);
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
      (em) => createProduct(em, context.clock.now(), subject, input),
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
      (em) => updateProduct(em, context.clock.now(), input),
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
      (em) => archiveProduct(em, context.clock.now(), input),
      () => ({ product: null }),
    );
    clearLoaders(context);
    return result;
  }
}
