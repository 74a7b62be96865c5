import { badInput } from './errors';

/**
 * Longest text a `search` filter takes. Substring search runs as ILIKE `%text%` on columns with
 * pg_trgm GIN indexes, so its cost follows the number of matching rows, not the text's length;
 * the bound keeps the pattern (and its trigram set) small.
 */
export const MAX_SEARCH_LENGTH = 100;

/** What schema descriptions say about a search filter's text. */
export const SEARCH_RULE = `case-insensitive, at most ${MAX_SEARCH_LENGTH} characters; blank means no filter`;

/** Escapes `%`, `_` and `\` for an ILIKE substring match. */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The ILIKE pattern of a search filter (trimmed), or null when it is absent or blank. Longer
 * than MAX_SEARCH_LENGTH is BAD_USER_INPUT on `field`, before any SQL.
 */
export function searchPattern(search: string | null | undefined, field = 'filter.search'): string | null {
  if (search === null || search === undefined) return null;
  const text = search.trim();
  if (text.length > MAX_SEARCH_LENGTH) throw badInput(field, `Search for at most ${MAX_SEARCH_LENGTH} characters.`);
  return text ? likePattern(text) : null;
}
