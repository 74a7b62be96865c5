import { Arg, Args, Ctx, Field, ID, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { FilterQuery } from '@mikro-orm/core';
import { connectionType, PageArgs, paginate } from '../../../common/relay';
import { UserError, badInput } from '../../../common/errors';
import { runMutation, Validation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { Product, ProductStatus } from '../entities/product';

export const ProductConnection = connectionType(Product, 'Product', 'product');

export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

@InputType({ description: 'Filters for `products`.' })
export class ProductFilter {
  @Field(() => [ProductStatus], { nullable: true, description: 'Only these statuses (portal admins; others see PUBLISHED only).' })
  status?: ProductStatus[] | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the name or slug.' })
  search?: string | null;
}

@InputType({ description: 'A new product.' })
export class CreateProductInput {
  @Field(() => String, { description: 'Unique URL-safe slug: lowercase letters, digits and single hyphens, at most 64 characters.' })
  slug!: string;

  @Field(() => String, { description: 'Catalogue name, 1–120 characters.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Markdown description, at most 20,000 characters.' })
  description?: string | null;

  @Field(() => ProductStatus, { nullable: true, description: 'Initial status (default DRAFT).' })
  status?: ProductStatus | null;
}

@ObjectType({ description: 'Result of `createProduct`.' })
export class CreateProductPayload {
  @Field(() => Product, { nullable: true, description: 'The new product; null when `errors` is not empty.' })
  product!: Product | null;

  @Field(() => [UserError], { description: 'Why nothing was created; empty on success.' })
  errors!: UserError[];
}

/** Products a caller may see: portal admins see all, everyone else published ones. */
export function visibleProducts(context: SubgraphContext): FilterQuery<Product> {
  return context.caller.isPortalAdmin ? {} : { status: ProductStatus.PUBLISHED };
}

@Resolver(() => Product)
export class ProductResolver {
  @Query(() => ProductConnection, {
    description: 'Products the caller may see, oldest first. Anyone (anonymous included) sees published products; portal admins see all.',
  })
  async products(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => ProductFilter, { nullable: true, description: 'Narrow the list.' }) filter: ProductFilter | null,
    @Ctx() context: SubgraphContext,
  ) {
    const where: FilterQuery<Product>[] = [visibleProducts(context)];
    if (filter?.status?.length) where.push({ status: { $in: filter.status } });
    if (filter?.search) {
      const like = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push({ $or: [{ name: { $ilike: like } }, { slug: { $ilike: like } }] });
    }
    return paginate(context.em, Product, { $and: where }, page);
  }

  @Query(() => Product, {
    nullable: true,
    description: 'One product by id or slug (give exactly one); null when it does not exist or the caller may not see it.',
  })
  async product(
    @Arg('id', () => ID, { nullable: true, description: 'Product id.' }) id: string | null,
    @Arg('slug', () => String, { nullable: true, description: 'Product slug.' }) slug: string | null,
    @Ctx() context: SubgraphContext,
  ): Promise<Product | null> {
    if ((id ? 1 : 0) + (slug ? 1 : 0) !== 1) throw badInput(id ? 'slug' : 'id', 'Give exactly one of `id` or `slug`.');
    if (id && !isUuid(id)) return null;
    return context.em.findOne(Product, { $and: [visibleProducts(context), id ? { id } : { slug: slug! }] });
  }

  @Mutation(() => CreateProductPayload, { description: 'Creates a product. Portal admins only.' })
  async createProduct(
    @Arg('input', () => CreateProductInput, { description: 'The product to create.' }) input: CreateProductInput,
    @Ctx() context: SubgraphContext,
  ): Promise<CreateProductPayload> {
    context.caller.requirePortalAdmin();
    return runMutation<{ product: Product | null }>(
      context,
      async (em) => {
        const slug = input.slug.trim();
        const name = input.name.trim();
        const description = input.description ?? '';
        new Validation()
          .check(SLUG_PATTERN.test(slug) && slug.length <= 64, 'input.slug', 'Use lowercase letters, digits and single hyphens, at most 64 characters (e.g. `payments-api`).')
          .check(name.length >= 1 && name.length <= 120, 'input.name', 'Give a name of 1 to 120 characters.')
          .check(description.length <= 20000, 'input.description', 'Keep the description under 20,000 characters.')
          .done();
        const product = em.create(Product, { slug, name, description, status: input.status ?? ProductStatus.DRAFT });
        await em.flush();
        return { product };
      },
      () => ({ product: null }),
      { uniqueFields: { product_slug_key: { field: 'input.slug', message: 'A product with this slug exists already: choose another slug.' } } },
    );
  }
}

import { isUuid } from '../../../common/ids';

export { isUuid };
