import type { EntityManager } from '@mikro-orm/postgresql';
import type { KeyValue, KeyValueInput } from '../../../common/key-value';
import type { Validation } from '../../../common/mutation';
import { isUuid } from '../../../common/ids';
import { DocumentationFormat } from '../entities/product';
import { query } from '../../../common/sql';

/** Limits of product and catalog settings (also quoted in the schema's descriptions). */
export const LIMITS = {
  slug: 64,
  name: 120,
  description: 20_000,
  tykApiIds: 50,
  tykApiId: 128,
  tags: 20,
  tag: 40,
  customFields: 30,
  customFieldKey: 64,
  customFieldValue: 1_024,
  markdown: 100_000,
  url: 2_048,
  /** Ids in one list of an input (catalogIds, productIds, audience ids). */
  idList: 500,
} as const;

export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const TYK_API_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;
export const TAG_PATTERN = /^[a-z0-9_-]+$/;
export const CUSTOM_FIELD_KEY_PATTERN = /^[A-Za-z0-9_.-]+$/;

const NOT_FOUND = 'NOT_FOUND';

function quoted(values: readonly string[], max = 5): string {
  const shown = values
    .slice(0, max)
    .map((v) => `\`${v}\``)
    .join(', ');
  return values.length > max ? `${shown} and ${values.length - max} more` : shown;
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const value of values) (seen.has(value) ? twice : seen).add(value);
  return [...twice];
}

export function checkSlug(v: Validation, slug: string, field = 'input.slug'): void {
  v.check(
    SLUG_PATTERN.test(slug) && slug.length <= LIMITS.slug,
    field,
    `Use lowercase letters, digits and single hyphens, at most ${LIMITS.slug} characters (e.g. \`payments-api\`).`,
  );
}

export function checkName(v: Validation, name: string, field: string, what = 'a name'): void {
  v.check(name.length >= 1 && name.length <= LIMITS.name, field, `Give ${what} of 1 to ${LIMITS.name} characters.`);
}

export function checkDescription(v: Validation, description: string, field = 'input.description'): void {
  v.check(
    description.length <= LIMITS.description,
    field,
    `Keep the description to ${LIMITS.description.toLocaleString('en-US')} characters at most.`,
  );
}

/** Tyk API ids as given (trimmed); refused when malformed, duplicated or too many. */
export function checkTykApiIds(v: Validation, given: readonly string[], field = 'input.tykApiIds'): string[] {
  const ids = given.map((id) => id.trim());
  if (ids.length > LIMITS.tykApiIds) {
    v.fail(field, `A product grants at most ${LIMITS.tykApiIds} Tyk APIs; you gave ${ids.length}. Split it into several products.`);
    return ids;
  }
  const bad = ids.filter((id) => id.length < 1 || id.length > LIMITS.tykApiId || !TYK_API_ID_PATTERN.test(id));
  if (bad.length) {
    v.fail(
      field,
      `Tyk API ids are 1 to ${LIMITS.tykApiId} characters of letters, digits, \`.\`, \`_\`, \`:\` and \`-\`; fix ${quoted(bad.map((id) => id || '(empty)'))}.`,
    );
    return ids;
  }
  const twice = duplicates(ids);
  if (twice.length) v.fail(field, `List each Tyk API id once: ${quoted(twice)} appear more than once.`);
  return ids;
}

/** Tags normalised to lowercase (trimmed, duplicates dropped); refused when malformed or too many. */
export function checkTags(v: Validation, given: readonly string[], field = 'input.tags'): string[] {
  const tags = [...new Set(given.map((tag) => tag.trim().toLowerCase()))];
  if (tags.length > LIMITS.tags) {
    v.fail(field, `Give at most ${LIMITS.tags} tags; you gave ${tags.length}.`);
    return tags;
  }
  const bad = tags.filter((tag) => tag.length < 1 || tag.length > LIMITS.tag || !TAG_PATTERN.test(tag));
  if (bad.length)
    v.fail(
      field,
      `Tags are 1 to ${LIMITS.tag} characters of lowercase letters, digits, \`-\` and \`_\`; fix ${quoted(bad.map((t) => t || '(empty)'))}.`,
    );
  return tags;
}

/** Custom fields as given (keys trimmed); refused when too many, malformed, too long or with repeated keys. */
export function checkCustomFields(v: Validation, given: readonly KeyValueInput[], field = 'input.customFields'): KeyValue[] {
  const fields = given.map(({ key, value }) => ({ key: key.trim(), value }));
  if (fields.length > LIMITS.customFields) {
    v.fail(field, `Give at most ${LIMITS.customFields} custom fields; you gave ${fields.length}.`);
    return fields;
  }
  const badKeys = fields
    .filter((f) => f.key.length < 1 || f.key.length > LIMITS.customFieldKey || !CUSTOM_FIELD_KEY_PATTERN.test(f.key))
    .map((f) => f.key || '(empty)');
  if (badKeys.length) {
    v.fail(
      field,
      `Custom field keys are 1 to ${LIMITS.customFieldKey} characters of letters, digits, \`_\`, \`.\` and \`-\`; fix ${quoted(badKeys)}.`,
    );
    return fields;
  }
  const longValues = fields.filter((f) => f.value.length > LIMITS.customFieldValue).map((f) => f.key);
  if (longValues.length)
    v.fail(
      field,
      `Keep each custom field value to ${LIMITS.customFieldValue.toLocaleString('en-US')} characters at most; shorten ${quoted(longValues)}.`,
    );
  const twice = duplicates(fields.map((f) => f.key));
  if (twice.length) v.fail(field, `Custom field keys must be unique: ${quoted(twice)} appear more than once.`);
  return fields;
}

export interface DocumentationValue {
  format: DocumentationFormat;
  /** The Markdown text or the URL. */
  body: string;
}

/** An absolute http(s) URL without credentials. */
export function isHttpUrl(value: string): boolean {
  if (value.length > LIMITS.url || /\s/.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname.length > 0 && !url.username && !url.password;
  } catch {
    return false;
  }
}

export function checkDocumentation(
  v: Validation,
  input: { format: DocumentationFormat; markdown?: string | null; url?: string | null },
  field = 'input.documentation',
): DocumentationValue | null {
  const markdown = input.markdown ?? null;
  const url = input.url === null || input.url === undefined ? null : input.url.trim();
  if (input.format === DocumentationFormat.MARKDOWN) {
    const before = v.errors.length;
    v.check(
      url === null,
      `${field}.url`,
      'MARKDOWN documentation has no `url`: leave it out, or use format URL to link to documentation elsewhere.',
    );
    if (markdown === null || markdown.trim().length === 0) v.fail(`${field}.markdown`, 'MARKDOWN documentation needs its `markdown` text.');
    else
      v.check(
        markdown.length <= LIMITS.markdown,
        `${field}.markdown`,
        `Keep the documentation to ${LIMITS.markdown.toLocaleString('en-US')} characters at most, or host it elsewhere and use format URL.`,
      );
    return v.errors.length === before ? { format: DocumentationFormat.MARKDOWN, body: markdown! } : null;
  }
  const before = v.errors.length;
  v.check(
    markdown === null,
    `${field}.markdown`,
    'URL documentation has no `markdown`: leave it out, or use format MARKDOWN to store the text here.',
  );
  v.check(
    url !== null && isHttpUrl(url),
    `${field}.url`,
    `Give an absolute http or https URL of at most ${LIMITS.url} characters (e.g. \`https://docs.example.com/payments\`).`,
  );
  return v.errors.length === before ? { format: DocumentationFormat.URL, body: url! } : null;
}

/** Lowercased, de-duplicated ids; refused (VALIDATION_FAILED) when the list is too long. */
export function idList(v: Validation, given: readonly string[] | null | undefined, field: string): string[] {
  const ids = [...new Set((given ?? []).map((id) => id.trim().toLowerCase()))];
  v.check(ids.length <= LIMITS.idList, field, `Give at most ${LIMITS.idList} ids at once.`);
  return ids;
}

/**
 * Adds a NOT_FOUND error on `field` listing the ids that `table` (a products table or another
 * subgraph's published view) does not contain. Ids that are not UUIDs are unknown too.
 */
export async function checkExisting(
  em: EntityManager,
  v: Validation,
  table: string,
  ids: readonly string[],
  field: string,
  what: string,
): Promise<void> {
  if (!ids.length) return;
  const uuids = ids.filter((id) => isUuid(id));
  const rows = uuids.length ? await query<{ id: string }>(em, `select id from ${table} where id in (?)`, [uuids]) : [];
  const found = new Set(rows.map((row) => row.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length)
    v.fail(
      field,
      `No ${what} with ${missing.length === 1 ? 'id' : 'ids'} ${quoted(missing)}: check the ${missing.length === 1 ? 'id' : 'ids'}.`,
      NOT_FOUND,
    );
}
