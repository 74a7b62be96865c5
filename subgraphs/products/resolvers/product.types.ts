/** GraphQL inputs, payloads, filters and the connection of the product operations, and the documentation value they show. */
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { KeyValueInput } from '../../../common/key-value';
import { connectionType } from '../../../common/relay';
import { SEARCH_RULE } from '../../../common/search';
import { DocumentationFormat, Product, ProductStatus } from '../entities/product';
import { LIMITS } from '../services/validation';
import { MANAGED_BY_INPUT_DESCRIPTION } from '../../../common/catalog-labels';

/** A product's documentation as clients read it (built from the product's stored columns). */
@ObjectType({
  description:
    'Documentation of a product: Markdown stored here (with safe HTML) or a link to documentation elsewhere. Has no id: it is a value of its product, not an entity; normalising client caches keep it inside its parent and merge two selections of it (see docs/CLIENTS.md).',
})
export class ProductDocumentation {
  @Field(() => DocumentationFormat, { description: 'MARKDOWN (text in `markdown` and `html`) or URL (link in `url`).' })
  format!: DocumentationFormat;

  @Field(() => String, { nullable: true, description: 'The Markdown source; null for format URL.' })
  markdown!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The Markdown rendered as sanitized HTML (safe to insert into a page); null for format URL.',
  })
  html!: string | null;

  @Field(() => String, { nullable: true, description: 'Absolute http(s) URL of the documentation; null for format MARKDOWN.' })
  url!: string | null;
}

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

  @Field(() => String, {
    nullable: true,
    description:
      'Name of the tool that owns the product (lowercase letters and digits joined by single `-`, `_` or `.`, at most 64); leave out for a hand-made product.',
  })
  managedBy?: string | null;

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

  @Field(() => String, { nullable: true, description: MANAGED_BY_INPUT_DESCRIPTION })
  managedBy?: string | null;
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
