/**
 * The labels catalogue-as-code keys objects by (`npm run plangraph`, docs/CATALOG-AS-CODE.md):
 * a caller-chosen `key` on catalogs and plans (products are keyed by their immutable `slug`), and
 * `managedBy` on products, catalogs and plans, naming the tool that owns the object. Both are
 * labels, not settings: changing them changes nothing a developer sees. The products and plans
 * subgraphs validate them alike with these rules.
 */
import type { Validation } from './mutation';

export const LABEL_MAX = 64;

/** Lowercase letters and digits, in groups joined by single `-`, `_` or `.` (`payments-gold`, `eu.partners`). */
export const LABEL_PATTERN = /^[a-z0-9]+(?:[-_.][a-z0-9]+)*$/;

const RULE = `1–${LABEL_MAX} lowercase letters and digits, in groups joined by single \`-\`, \`_\` or \`.\``;

export const KEY_DESCRIPTION = (what: string): string =>
  `Stable key chosen by the caller (${RULE}), unique among ${what}s; the same in every environment, unlike \`id\`. Catalogue files (\`npm run plangraph\`) refer to the ${what} by it. Null when none was given.`;

export const MANAGED_BY_DESCRIPTION =
  'Name of the tool that owns the object (`plangraph-cli` for objects a catalogue file applied); null for objects made by hand. A catalogue apply changes or retires only objects it manages or that its file names.';

export const KEY_INPUT_DESCRIPTION = (what: string): string =>
  `Stable key (${RULE}), unique among ${what}s; null or left out keeps the current one (a key cannot be removed, only changed).`;

export const MANAGED_BY_INPUT_DESCRIPTION = `Name of the tool that owns the object (${RULE}); an empty string clears it (the object becomes hand-made), null or left out keeps it.`;

/** A key as given (trimmed), or undefined when not given; a bad one is a VALIDATION_FAILED on `field`. */
export function checkKey(v: Validation, given: string | null | undefined, field: string): string | undefined {
  if (given === null || given === undefined) return undefined;
  const key = given.trim();
  v.check(key.length <= LABEL_MAX && LABEL_PATTERN.test(key), field, `Give a key of ${RULE} (e.g. \`payments-gold\`).`);
  return key;
}

/** A managedBy label as given: undefined = keep, null = clear (from an empty string). */
export function checkManagedBy(v: Validation, given: string | null | undefined, field: string): string | null | undefined {
  if (given === null || given === undefined) return undefined;
  const label = given.trim();
  if (label === '') return null;
  v.check(
    label.length <= LABEL_MAX && LABEL_PATTERN.test(label),
    field,
    `Give the owning tool's name as ${RULE} (e.g. \`plangraph-cli\`), or an empty string to clear it.`,
  );
  return label;
}
