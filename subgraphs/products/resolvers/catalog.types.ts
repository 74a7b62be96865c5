/** GraphQL inputs, payloads, filters and the connection of the catalog operations. */
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { connectionType } from '../../../common/relay';
import { SEARCH_RULE } from '../../../common/search';
import { Catalog, CatalogVisibility } from '../entities/catalog';
import { LIMITS } from '../services/validation';
import { KEY_INPUT_DESCRIPTION, LABEL_MAX, MANAGED_BY_INPUT_DESCRIPTION } from '../../../common/catalog-labels';

export const CatalogConnection = connectionType(Catalog, 'Catalog', 'catalog');

@InputType({ description: 'Filters for `catalogs`.' })
export class CatalogFilter {
  @Field(() => CatalogVisibility, { nullable: true, description: 'Only catalogs with this visibility.' })
  visibility?: CatalogVisibility | null;

  @Field(() => String, { nullable: true, description: `Only catalogs whose name contains this text (${SEARCH_RULE}).` })
  search?: string | null;

  @Field(() => String, {
    nullable: true,
    description: `Only the catalog with this key (at most ${LABEL_MAX} characters), if the caller may see it.`,
  })
  key?: string | null;
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

  @Field(() => String, {
    nullable: true,
    description: `Stable key (1–${LABEL_MAX} lowercase letters and digits joined by single \`-\`, \`_\` or \`.\`), unique among catalogs, the same in every environment; leave out for none.`,
  })
  key?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Name of the tool that owns the catalog (same rule as `key`); leave out for a hand-made catalog.',
  })
  managedBy?: string | null;

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

  @Field(() => String, { nullable: true, description: KEY_INPUT_DESCRIPTION('catalog') })
  key?: string | null;

  @Field(() => String, { nullable: true, description: MANAGED_BY_INPUT_DESCRIPTION })
  managedBy?: string | null;

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

@InputType({ description: 'The catalog to delete.' })
export class DeleteCatalogInput {
  @Field(() => ID, { description: 'Catalog id.' })
  id!: string;
}

@ObjectType({ description: 'Result of `deleteCatalog`.' })
export class DeleteCatalogPayload {
  @Field(() => ID, { nullable: true, description: 'Id of the deleted catalog; null when `errors` is not empty.' })
  deletedCatalogId!: string | null;

  @Field(() => [UserError], { description: 'Why nothing was deleted; empty on success.' })
  errors!: UserError[];
}
