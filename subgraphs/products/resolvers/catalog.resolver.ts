import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { type FilterQuery } from '@mikro-orm/core';
import { PageArgs, paginate } from '../../../common/relay';
import { runMutation } from '../../../common/mutation';
import { renderMarkdown } from '../../../common/markdown';
import type { SubgraphContext } from '../../../common/server';
import { Catalog, CatalogAudienceMember } from '../entities/catalog';
import {
  catalogAudienceLoader,
  catalogProducts,
  clearLoaders,
  loadVisibleCatalog,
  requirePortalAdminField,
  visibleCatalogsFilter,
} from '../data/loaders';
import { createCatalog, deleteCatalog, NAME_TAKEN, updateCatalog } from '../services/catalogs';
import { ProductConnection } from './product.types';
import { searchPattern } from '../../../common/search';
import { badInput } from '../../../common/errors';
import { LABEL_MAX } from '../../../common/catalog-labels';
import {
  CatalogConnection,
  CatalogFilter,
  CreateCatalogInput,
  CreateCatalogPayload,
  DeleteCatalogInput,
  DeleteCatalogPayload,
  UpdateCatalogInput,
  UpdateCatalogPayload,
} from './catalog.types';

@Resolver(() => Catalog)
export class CatalogResolver {
  @Query(() => CatalogConnection, {
    description:
      'Catalogs the caller may see, oldest first. Anyone (anonymous included): PUBLIC catalogs and PRIVATE catalogs whose audience includes an organization or team of the caller. Portal admins: all.',
  })
  async catalogs(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => CatalogFilter, { nullable: true, description: 'Narrow the list.' }) filter: CatalogFilter | null,
    @Ctx() context: SubgraphContext,
  ) {
    const where: FilterQuery<Catalog>[] = [await visibleCatalogsFilter(context)];
    if (filter?.visibility) where.push({ visibility: filter.visibility });
    const like = searchPattern(filter?.search);
    if (like) where.push({ name: { $ilike: like } });
    if (filter?.key !== undefined && filter?.key !== null) {
      const key = filter.key.trim();
      if (key.length > LABEL_MAX) throw badInput('filter.key', `Give a key of at most ${LABEL_MAX} characters.`);
      where.push({ key });
    }
    return paginate(context.em, Catalog, { $and: where }, page);
  }

  @Query(() => Catalog, {
    nullable: true,
    description: 'One catalog by id. Anyone may ask; null when it does not exist or the caller may not see it (same rule as `catalogs`).',
  })
  catalog(
    @Arg('id', () => ID, { description: 'Catalog id (a UUID; anything else is BAD_USER_INPUT).' }) id: string,
    @Ctx() context: SubgraphContext,
  ): Promise<Catalog | null> {
    return loadVisibleCatalog(context, id);
  }

  @FieldResolver(() => String, { description: 'The description rendered from Markdown as sanitized HTML (safe to insert into a page).' })
  descriptionHtml(@Root() catalog: Catalog): string {
    return renderMarkdown(catalog.description);
  }

  @FieldResolver(() => [CatalogAudienceMember], {
    nullable: true,
    description:
      'The organizations and teams a PRIVATE catalog is offered to (empty for PUBLIC catalogs). Portal admins only; everyone else gets a FORBIDDEN error on this field.',
  })
  audience(@Root() catalog: Catalog, @Ctx() context: SubgraphContext): Promise<CatalogAudienceMember[]> {
    requirePortalAdminField(context);
    return catalogAudienceLoader(context).load(catalog.id);
  }

  @FieldResolver(() => ProductConnection, {
    description:
      'Products in this catalog that the caller may see, oldest first: PUBLISHED ones for everyone, all of them for portal admins.',
  })
  products(@Root() catalog: Catalog, @Args(() => PageArgs) page: PageArgs, @Ctx() context: SubgraphContext) {
    return catalogProducts(context, catalog.id, page);
  }

  @Mutation(() => CreateCatalogPayload, {
    description:
      'Creates a catalog with its audience and products. Portal admins only. Enqueues the provider sync of every product put into it.',
  })
  async createCatalog(
    @Arg('input', () => CreateCatalogInput, { description: 'The catalog to create.' }) input: CreateCatalogInput,
    @Ctx() context: SubgraphContext,
  ): Promise<CreateCatalogPayload> {
    const subject = context.caller.requirePortalAdmin();
    const result = await runMutation<{ catalog: Catalog | null }>(
      context,
      (em) => createCatalog(em, context.clock.now(), subject, input),
      () => ({ catalog: null }),
      { uniqueFields: NAME_TAKEN },
    );
    clearLoaders(context);
    return result;
  }

  @Mutation(() => DeleteCatalogPayload, {
    description:
      'Deletes a catalog that no plan is in (CATALOG_IN_USE on `input.id` otherwise: take it out of the plans’ `catalogIds` first). Its audience goes with it; its products stay and leave it (their provider sync is enqueued). Portal admins only. NOT_FOUND on `input.id` for an unknown catalog.',
  })
  async deleteCatalog(
    @Arg('input', () => DeleteCatalogInput, { description: 'The catalog to delete.' }) input: DeleteCatalogInput,
    @Ctx() context: SubgraphContext,
  ): Promise<DeleteCatalogPayload> {
    context.caller.requirePortalAdmin();
    const result = await runMutation<{ deletedCatalogId: string | null }>(
      context,
      (em) => deleteCatalog(em, input),
      () => ({ deletedCatalogId: null }),
    );
    clearLoaders(context);
    return result;
  }

  @Mutation(() => UpdateCatalogPayload, {
    description:
      'Changes a catalog: name, description, visibility, audience (replaced) and products (added and removed). Portal admins only. Enqueues the provider sync of every product added or removed.',
  })
  async updateCatalog(
    @Arg('input', () => UpdateCatalogInput, { description: 'The catalog and the changes.' }) input: UpdateCatalogInput,
    @Ctx() context: SubgraphContext,
  ): Promise<UpdateCatalogPayload> {
    context.caller.requirePortalAdmin();
    const result = await runMutation<{ catalog: Catalog | null }>(
      context,
      (em) => updateCatalog(em, context.clock.now(), input),
      () => ({ catalog: null }),
      { uniqueFields: NAME_TAKEN },
    );
    clearLoaders(context);
    return result;
  }
}
