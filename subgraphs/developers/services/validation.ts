import type { Validation } from '../../../common/mutation';

export const MAX_NAME_LENGTH = 120;
export const MAX_SLUG_LENGTH = 64;
export const MAX_SUBJECT_LENGTH = 255;
export const MAX_EMAIL_LENGTH = 254;
export const MAX_REASON_LENGTH = 1000;
export const MAX_DESCRIPTION_LENGTH = 2000;
export const MAX_REDIRECT_URIS = 10;
export const MAX_REDIRECT_URI_LENGTH = 2048;
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1']);

/** Checks a trimmed name of 1..max characters. */
export function checkName(v: Validation, value: string, field: string, max = MAX_NAME_LENGTH): Validation {
  return v.check(value.length >= 1 && value.length <= max, field, `Give a name of 1 to ${max} characters.`);
}

export function checkSlug(v: Validation, value: string, field: string): Validation {
  return v.check(
    SLUG_PATTERN.test(value) && value.length <= MAX_SLUG_LENGTH,
    field,
    `Use lowercase letters, digits and single hyphens, at most ${MAX_SLUG_LENGTH} characters (e.g. \`acme-corp\`).`,
  );
}

export function checkSubject(v: Validation, value: string, field: string): Validation {
  return v.check(
    value.length >= 1 && value.length <= MAX_SUBJECT_LENGTH,
    field,
    `Give a token subject of 1 to ${MAX_SUBJECT_LENGTH} characters.`,
  );
}

export function checkEmail(v: Validation, value: string, field: string): Validation {
  return v.check(
    value.length <= MAX_EMAIL_LENGTH && EMAIL_PATTERN.test(value),
    field,
    `Give an email address like \`ada@example.com\` (at most ${MAX_EMAIL_LENGTH} characters).`,
  );
}

export function checkReason(v: Validation, value: string, field: string): Validation {
  return v.check(value.length >= 1 && value.length <= MAX_REASON_LENGTH, field, `Say why, in 1 to ${MAX_REASON_LENGTH} characters.`);
}

/** Why a redirect URI is not acceptable, or null when it is. */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length === 0 || uri.length > MAX_REDIRECT_URI_LENGTH) return `Give a URL of 1 to ${MAX_REDIRECT_URI_LENGTH} characters.`;
  if (uri.includes('#')) return 'Remove the fragment (`#…`): redirect URIs may not have one.';
  if (uri.includes('*')) return 'Wildcards are not allowed: list each redirect URI in full.';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'Give an absolute URL, e.g. `https://app.example.com/callback`.';
  }
  if (url.username || url.password) return 'Remove the user name and password from the URL.';
  if (url.protocol === 'https:') return url.hostname ? null : 'Give an absolute URL with a host.';
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return null;
  if (url.protocol === 'http:') return 'Use `https`: plain `http` is allowed for localhost and 127.0.0.1 only.';
  return 'Use an `https` URL (or `http` for localhost and 127.0.0.1).';
}

/** Trims and checks redirect URIs: each valid, no duplicates, at most 10. Returns the trimmed list. */
export function checkRedirectUris(v: Validation, values: string[], field: string): string[] {
  const trimmed = values.map((u) => u.trim());
  v.check(trimmed.length <= MAX_REDIRECT_URIS, field, `Give at most ${MAX_REDIRECT_URIS} redirect URIs.`);
  const seen = new Set<string>();
  trimmed.forEach((uri, i) => {
    const problem = redirectUriProblem(uri);
    if (problem) v.fail(`${field}[${i}]`, problem);
    else if (seen.has(uri)) v.fail(`${field}[${i}]`, 'This redirect URI is listed twice: remove the duplicate.');
    seen.add(uri);
  });
  return trimmed;
}
