import { Field, ObjectType } from 'type-graphql';
import { DocumentationFormat } from './entities/product';

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
