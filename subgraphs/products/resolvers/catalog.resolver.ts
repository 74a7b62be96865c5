import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { LockMode, type FilterQuery } from '@mikro-orm/core';
import { connectionType, PageArgs, paginate } from '../../../common/relay';
import { UserError, UserErrorException, userError } from '../../../common/errors';
import { runMutation, Validation } from '../../../common/mutation';
import { canonicalInput, idempotencyKeyDescription, idempotentCall, runIdempotent } from '../../../common/idempotency';
import { renderMarkdown } from '../../../common/markdown';
import { isUuid } from '../../../common/ids';
import type { SubgraphContext } from '../../../common/server';
import { Catalog, CatalogAudienceMember, CatalogVisibility } from '../entities/catalog';
import {
  catalogAudienceLoader,
  catalogProducts,
  clearLoaders,
  execute,
  loadVisibleCatalog,
  requirePortalAdminField,
  visibleCatalogsFilter,
} from '../access';
import { enqueueProductSync } from '../jobs';
import { addCatalogProducts, removeCatalogProducts, touchProducts } from '../links';
import { LIMITS, checkDescription, checkExisting, checkName, idList } from '../validation';
import { ProductConnection } from './product.types';
import { SEARCH_RULE, searchPattern } from '../../../common/search';

export const CatalogConnection = connectionType(Catalog, 'Catalog', 'catalog');

@InputType({ description: 'Filters for `catalogs`.' })
export class CatalogFilter {
  @Field(() => CatalogVisibility, { nullable: true, description: 'Only catalogs with this visibility.' })
  visibility?: CatalogVisibility | null;

  @Field(() => String, { nullable: true, description: `Only catalogs whose name contains this text (${SEARCH_RULE}).` })
  search?: string | null;
}

@InputType({ description: 'Who a PRIVATE catalog is offered to: members of these organizations and of these teams.' })
export class CatalogAudienceInput {
  @Field(() => [ID], { nullable: true, description: `Organizations whose members see the catalog (at most ${LIMITS.idList}).` })
  organizationIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: `Teams whose members see the catalog (at most ${LIMITS.idList}).` })
  teamIds?: string[] | null;
}

@InputType({ description: 'A new catalog.' })
export class CreateCatalogInput {
  @Field(() => String, { description: `Unique name, 1–${LIMITS.name} characters.` })
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: `Markdown description, at most ${LIMITS.description.toLocaleString('en-US')} characters.`,
  })
  description?: string | null;

  @Field(() => CatalogVisibility, { description: 'PUBLIC (everyone, anonymous included) or PRIVATE (its audience only).' })
  visibility!: CatalogVisibility;

  @Field(() => CatalogAudienceInput, { nullable: true, description: 'Who sees a PRIVATE catalog; a PUBLIC catalog takes none.' })
  audience?: CatalogAudienceInput | null;

  @Field(() => [ID], { nullable: true, description: `Products the catalog contains (at most ${LIMITS.idList}).` })
  productIds?: string[] | null;

  @Field(() => String, { nullable: true, description: idempotencyKeyDescription('the same catalog, as it is now') })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Changes to a catalog. Fields left out keep their value.' })
export class UpdateCatalogInput {
  @Field(() => ID, { description: 'The catalog to change.' })
  id!: string;

  @Field(() => String, { nullable: true, description: `New unique name, 1–${LIMITS.name} characters.` })
  name?: string | null;

  @Field(() => String, {
    nullable: true,
    description: `New Markdown description, at most ${LIMITS.description.toLocaleString('en-US')} characters.`,
  })
  description?: string | null;

  @Field(() => CatalogVisibility, {
    nullable: true,
    description: 'New visibility. Making a catalog PUBLIC needs its audience cleared (`audience: null`).',
  })
  visibility?: CatalogVisibility | null;

  @Field(() => CatalogAudienceInput, {
    nullable: true,
    description: 'New audience; REPLACES the old one. Explicit null clears it. Only PRIVATE catalogs have an audience.',
  })
  audience?: CatalogAudienceInput | null;

  @Field(() => [ID], {
    nullable: true,
    description: `Products to add (at most ${LIMITS.idList}); ones already in the catalog are ignored.`,
  })
  addProductIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: `Products to remove (at most ${LIMITS.idList}); ones not in the catalog are ignored.` })
  removeProductIds?: string[] | null;
}

@ObjectType({ description: 'Result of `createCatalog`.' })
export class CreateCatalogPayload {
  @Field(() => Catalog, { nullable: true, description: 'The new catalog; null when `errors` is not empty.' })
  catalog!: Catalog | null;

  @Field(() => [UserError], { description: 'Why nothing was created; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `updateCatalog`.' })
export class UpdateCatalogPayload {
  @Field(() => Catalog, { nullable: true, description: 'The changed catalog; null when `errors` is not empty.' })
  catalog!: Catalog | null;

  @Field(() => [UserError], { description: 'Why nothing was changed; empty on success.' })
  errors!: UserError[];
}

const NAME_TAKEN = {
  catalog_name_key: { field: 'input.name', message: 'A catalog with this name exists already: choose another name.' },
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
      async (em) => {
        const idempotency = idempotentCall('products', subject, 'createCatalog', input.idempotencyKey, canonicalInput(input));
        return runIdempotent<{ catalog: Catalog | null }>(em, idempotency, context.clock.now(), {
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
            if (!v.errors.length) {
              await checkExisting(em, v, 'products.product', productIds, 'input.productIds', 'product');
              await checkAudienceExists(em, v, audience);
            }
            v.done();
            const catalog = em.create(Catalog, { name, description, visibility: input.visibility });
            await em.flush();
            for (const member of audienceMembers(catalog.id, audience)) em.create(CatalogAudienceMember, member as CatalogAudienceMember);
            await em.flush();
            const added = await addCatalogProducts(em, catalog.id, productIds);
            await touchProducts(em, added);
            await enqueueProductSync(em, added);
            return { catalog };
          },
        });
      },
      () => ({ catalog: null }),
      { uniqueFields: NAME_TAKEN },
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
      async (em) => {
        const catalog = isUuid(input.id)
          ? await em.findOne(Catalog, { id: input.id.toLowerCase() }, { lockMode: LockMode.PESSIMISTIC_WRITE })
          : null;
        if (!catalog)
          throw new UserErrorException([userError('NOT_FOUND', 'input.id', `No catalog with id \`${input.id}\`: check the id.`)]);

        const v = new Validation();
        const name = input.name === null || input.name === undefined ? undefined : input.name.trim();
        if (name !== undefined) checkName(v, name, 'input.name');
        if (input.description !== null && input.description !== undefined) checkDescription(v, input.description);
        const visibility = input.visibility ?? catalog.visibility;
        // undefined: keep the audience; otherwise replace it (null clears it).
        const audience = input.audience === undefined ? undefined : checkAudience(v, input.audience ?? {});
        const addProductIds = idList(v, input.addProductIds, 'input.addProductIds');
        const removeProductIds = idList(v, input.removeProductIds, 'input.removeProductIds');
        const both = addProductIds.filter((id) => removeProductIds.includes(id));
        v.check(!both.length, 'input.removeProductIds', `Add or remove a product, not both: ${both.map((id) => `\`${id}\``).join(', ')}.`);
        if (visibility === CatalogVisibility.PUBLIC) {
          const keptAudience =
            audience === undefined
              ? (
                  await execute<{ n: string }[]>(em, `select count(*) as n from products.catalog_audience where catalog_id = ?`, [
                    catalog.id,
                  ])
                )[0].n !== '0'
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
        catalog.updatedAt = context.clock.now();
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
      },
      () => ({ catalog: null }),
      { uniqueFields: NAME_TAKEN },
    );
    clearLoaders(context);
    return result;
  }
}
