import { Validation } from '../../../common/mutation';

export const NAME_MAX = 80;
export const ORG_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
export const POLICY_TAG_PATTERN = /^[A-Za-z0-9:._-]{1,64}$/;
export const POLICY_TAGS_MAX = 20;
export const SECRET_MAX = 4096;
export const BASE_URL_MAX = 2048;

/**
 * Parses an admin-given base URL: absolute http(s), no query, fragment or credentials. Returns
 * it normalized without trailing slash, or a message that says what to fix.
 */
export function normalizeBaseUrl(raw: string): { url: string } | { error: string } {
  const text = raw.trim();
  const shape = 'Give an absolute http or https URL without query or fragment, e.g. `https://tyk.example.com:8080`.';
  if (!text || text.length > BASE_URL_MAX || !/^https?:\/\//i.test(text) || /\s/.test(text)) return { error: shape };
  if (/[?#]/.test(text)) return { error: 'Remove the query (`?…`) and fragment (`#…`): give only the base URL of the Tyk API.' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { error: shape };
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) return { error: shape };
  if (url.username || url.password) {
    return { error: 'Remove the user name and password from the URL: give the admin secret in `secret` instead.' };
  }
  return { url: `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}` };
}

/** Checks policy tags; returns them without duplicates (first occurrence kept). */
export function checkPolicyTags(validation: Validation, field: string, tags: readonly string[]): string[] {
  const unique = [...new Set(tags)];
  validation.check(
    unique.length >= 1 && unique.length <= POLICY_TAGS_MAX,
    field,
    `Give between 1 and ${POLICY_TAGS_MAX} policy tags (omit the field for the default \`plangraph\`).`,
  );
  const bad = unique.filter((tag) => !POLICY_TAG_PATTERN.test(tag));
  if (bad.length) {
    const shown = bad
      .slice(0, 3)
      .map((tag) => JSON.stringify(tag.length > 70 ? `${tag.slice(0, 67)}...` : tag))
      .join(', ');
    validation.fail(field, `Each policy tag must be 1 to 64 characters of letters, digits, \`:\`, \`.\`, \`_\` or \`-\` (not ${shown}).`);
  }
  return unique;
}

/** A secret that can be sent as an HTTP header value: 1–4096 printable ASCII characters, no outer spaces. */
export function checkSecret(validation: Validation, field: string, secret: string): void {
  if (secret.length < 1 || secret.length > SECRET_MAX) {
    validation.fail(field, `Give the admin secret, 1 to ${SECRET_MAX} characters.`);
  } else if (!/^[\x20-\x7e]+$/.test(secret) || secret.trim() !== secret) {
    validation.fail(field, 'Use printable ASCII characters without leading or trailing spaces: paste the secret exactly as Tyk shows it.');
  }
}
