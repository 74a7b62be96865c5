/**
 * Tyk analytics records as the usage ingest reads them: the gateway's JSON field names
 * (`response_code`, `api_key`, `request_time`, …, of Tyk Pump's `analytics.AnalyticsRecord`) and
 * the SQL pump's column names (`responsecode`, `apikey`, `requesttime`, …) are both accepted, so
 * HTTP batches and rows of a `tyk_analytics` table go through the same code. Each record is checked
 * on its own: a malformed one is rejected with a reason and the rest of the batch still lands.
 *
 * A record's identity is a hash of its natural fields (time to the microsecond, key, API, method,
 * paths, status, latency, client IP, host, user agent, length, OAuth client): the same record
 * ingested twice — by the tailer and by HTTP, or in a retried batch — counts once. Two different
 * requests that agree on every one of these fields would also count once; with microsecond
 * timestamps that needs the same client sending the same request in the same microsecond.
 */
import crypto from 'node:crypto';

/** SHA-256 hex of a string: the one-shot `crypto.hash` (Node ≥ 20.12) when present, it is twice as fast. */
const sha256: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text) => (crypto as unknown as { hash(algorithm: string, data: string): string }).hash('sha256', text)
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

/** `api_key` of unauthenticated requests (pump README): never a credential. */
export const UNAUTHENTICATED_KEY = '00000000';

/** What a record's raw response says about a 403, when the gateway recorded it. */
export type DenialHint = 'QUOTA' | 'DENIED' | null;

export interface UsageRecord {
  /** Position in the batch (0-based), for per-record results. */
  index: number;
  /** Identity: the first 128 bits of a SHA-256 of the natural fields, formatted as a UUID. */
  id: string;
  /** Gateway receive time in microseconds since the epoch (exact in a double until 2255). */
  micros: number;
  keyHash: string;
  apiId: string;
  orgId: string;
  method: string;
  path: string;
  responseCode: number;
  latencyMs: number;
  ip: string;
  tags: string[];
  denial: DenialHint;
}

/** A batch element that could not be read as JSON (an NDJSON line): rejected with its reason. */
export class InvalidJson {
  constructor(readonly reason: string) {}
}

export type ParseResult = { ok: true; record: UsageRecord } | { ok: false; reason: string };

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const MAX_TEXT = 4096;
/** Records dated further ahead than this are refused (clock skew allowance). */
export const MAX_FUTURE_MS = 24 * 3_600_000;
/** Records older than this are refused: every day of raw usage is a partition, and replays older than a year are not usage any quota or chart shows. */
export const MAX_AGE_MS = 400 * 86_400_000;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number of `length` decimal digits at `at`, or -1 when one is not a digit. */
function digitsAt(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * The common form, `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (what Tyk writes), read without a regular
 * expression: microseconds, null when it is that form but no such instant, undefined when it is
 * another form (the general parser decides). Same answers as the general parser.
 */
function parseUtcTimestamp(text: string): number | null | undefined {
  const n = text.length;
  const zone = text.charCodeAt(n - 1);
  if (n < 20 || (zone !== 90 && zone !== 122)) return undefined; // Z, z
  const separator = text.charCodeAt(10);
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (separator !== 84 && separator !== 32)) return undefined;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const y = digitsAt(text, 0, 4);
  const mo = digitsAt(text, 5, 2);
  const d = digitsAt(text, 8, 2);
  const h = digitsAt(text, 11, 2);
  const mi = digitsAt(text, 14, 2);
  const s = digitsAt(text, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return undefined;
  let micros = 0;
  if (n > 20) {
    const point = text.charCodeAt(19);
    if ((point !== 46 && point !== 44) || n === 21) return undefined; // '.' or ',' and at least one digit
    const digits = Math.min(n - 21, 6);
    const fraction = digitsAt(text, 20, digits);
    if (fraction < 0 || (n - 21 > 6 && digitsAt(text, 26, n - 27) < 0)) return undefined;
    micros = fraction * 10 ** (6 - digits);
  }
  // Years below 100 are refused (Date.UTC would read them as 19xx), like impossible dates and times.
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > DAYS_IN_MONTH[mo - 1] + (leap ? 1 : 0) || h > 23 || mi > 59 || s > 59) return null;
  return Date.UTC(y, mo - 1, d, h, mi, s) * 1000 + micros;
}

/** Microseconds since the epoch of an RFC 3339 / PostgreSQL timestamp text; null when malformed. */
export function parseTimestamp(text: string): number | null {
  const utc = parseUtcTimestamp(text);
  if (utc !== undefined) return utc;
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return null;
  const date = new Date(ms);
  // Reject overflowing components (Date.UTC rolls 2026-02-31 over to March).
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (hours > 14 || minutes > 59) return null;
    offsetMinutes = sign * (hours * 60 + minutes);
  }
  const micros = Number((fraction + '000000').slice(0, 6));
  return (ms - offsetMinutes * 60_000) * 1000 + micros;
}

/** The last second `microsToIso` formatted (records of a batch come in time order, many per second). */
let isoSecond = Number.NaN;
let isoSecondText = '';

/** ISO-8601 text with microseconds (`2026-01-01T00:00:00.123456Z`), for SQL parameters. */
export function microsToIso(micros: number): string {
  const second = Math.floor(micros / 1_000_000);
  if (second !== isoSecond) {
    const iso = new Date(second * 1000).toISOString();
    isoSecondText = iso.slice(0, iso.length - 5); // without `.000Z`
    isoSecond = second;
  }
  return `${isoSecondText}.${String(micros - second * 1_000_000 + 1_000_000).slice(1)}Z`;
}

export function microsToDate(micros: number): Date {
  return new Date(Math.floor(micros / 1000));
}

/** The first of the field's names (gateway JSON, SQL pump, Go) present with a value; fixed arity (no array per call). */
function pick(record: Record<string, unknown>, a: string, b: string, c?: string): unknown {
  const first = record[a];
  if (first !== undefined && first !== null) return first;
  const second = record[b];
  if (second !== undefined && second !== null) return second;
  if (c === undefined) return undefined;
  const third = record[c];
  return third !== undefined && third !== null ? third : undefined;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value.length > MAX_TEXT ? value.slice(0, MAX_TEXT) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** Tags as the pump may store them: a list, a JSON list, a PostgreSQL array literal, or `;`/`,`-joined text. */
function parseTags(value: unknown): string[] | null {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.every((tag) => typeof tag === 'string') ? (value as string[]) : null;
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    try {
      return parseTags(JSON.parse(trimmed));
    } catch {
      return null;
    }
  }
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    return trimmed
      .slice(1, -1)
      .split(',')
      .map((tag) => tag.trim().replace(/^"(.*)"$/, '$1'))
      .filter(Boolean);
  }
  return trimmed
    .split(/[;,]/)
    .map((tag) => tag.trim())
    .filter(Boolean);
}

/** The error body of a recorded raw response (base64 HTTP response), when there is one. */
function denialOf(rawResponse: unknown): DenialHint {
  if (typeof rawResponse !== 'string' || !rawResponse) return null;
  let decoded: string;
  try {
    decoded = Buffer.from(rawResponse.slice(0, 8192), 'base64').toString('utf8');
  } catch {
    return null;
  }
  if (/quota exceeded/i.test(decoded)) return 'QUOTA';
  if (/access to this api has been disallowed|key is inactive/i.test(decoded)) return 'DENIED';
  return null;
}

function microsOf(value: unknown): number | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.getTime() * 1000;
  if (typeof value === 'string') return parseTimestamp(value);
  return null;
}

/**
 * Checks and normalises one record (`now` decides what is "in the future"). The identity hash
 * covers the natural fields as given, so the same record parses to the same id every time.
 */
export function parseRecord(raw: unknown, index: number, now: Date): ParseResult {
  if (raw instanceof InvalidJson) return { ok: false, reason: raw.reason };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: 'not a JSON object' };
  const r = raw as Record<string, unknown>;
  const micros = microsOf(pick(r, 'timestamp', 'TimeStamp'));
  if (micros === null) return { ok: false, reason: 'timestamp is missing or not an RFC 3339 date-time' };
  if (micros < (now.getTime() - MAX_AGE_MS) * 1000) return { ok: false, reason: 'timestamp is more than 400 days in the past' };
  if (micros > (now.getTime() + MAX_FUTURE_MS) * 1000) return { ok: false, reason: 'timestamp is more than a day in the future' };
  const keyValue = pick(r, 'api_key', 'apikey', 'APIKey');
  if (typeof keyValue !== 'string' || !keyValue.trim())
    return { ok: false, reason: 'api_key is missing (unauthenticated requests carry 00000000)' };
  if (keyValue.length > 512) return { ok: false, reason: 'api_key is longer than 512 characters' };
  const codeValue = pick(r, 'response_code', 'responsecode', 'ResponseCode');
  const responseCode = typeof codeValue === 'string' && /^\d+$/.test(codeValue) ? Number(codeValue) : codeValue;
  if (typeof responseCode !== 'number' || !Number.isInteger(responseCode) || responseCode < 100 || responseCode > 599) {
    return { ok: false, reason: 'response_code must be an HTTP status (an integer from 100 to 599)' };
  }
  const methodValue = pick(r, 'method', 'Method');
  if (typeof methodValue !== 'string' || !/^[A-Za-z]{1,16}$/.test(methodValue))
    return { ok: false, reason: 'method must be an HTTP method' };
  const latency = r.latency && typeof r.latency === 'object' ? (r.latency as Record<string, unknown>).total : undefined;
  const timeValue = pick(r, 'request_time', 'requesttime', 'RequestTime') ?? latency ?? 0;
  const latencyMs = typeof timeValue === 'string' && /^\d+(\.\d+)?$/.test(timeValue) ? Number(timeValue) : timeValue;
  if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > 2_147_483_647) {
    return { ok: false, reason: 'request_time must be a non-negative number of milliseconds' };
  }
  const tags = parseTags(pick(r, 'tags', 'Tags'));
  if (tags === null) return { ok: false, reason: 'tags must be a list of strings' };

  const keyHash = keyValue.trim();
  const apiId = text(pick(r, 'api_id', 'apiid', 'APIID'));
  const orgId = text(pick(r, 'org_id', 'orgid', 'OrgID'));
  const rawPath = text(pick(r, 'raw_path', 'rawpath', 'RawPath'));
  const path = text(pick(r, 'path', 'Path')) || rawPath || '/';
  const ip = text(pick(r, 'ip_address', 'ipaddress', 'IPAddress'));
  // Stored as PostgreSQL text, which cannot hold NUL: refused here, or the whole batch would fail.
  if (keyHash.includes('\0') || apiId.includes('\0') || path.includes('\0') || ip.includes('\0')) {
    const field = keyHash.includes('\0') ? 'api_key' : apiId.includes('\0') ? 'api_id' : path.includes('\0') ? 'path' : 'ip_address';
    return { ok: false, reason: `${field} contains a NUL character (U+0000), which cannot be stored` };
  }
  const method = methodValue.toUpperCase();
  const natural = [
    micros,
    keyHash,
    apiId,
    orgId,
    method,
    path,
    rawPath,
    responseCode,
    latencyMs,
    ip,
    text(pick(r, 'host', 'Host')),
    text(pick(r, 'user_agent', 'useragent', 'UserAgent')),
    text(pick(r, 'content_length', 'contentlength', 'ContentLength')),
    text(pick(r, 'oauth_id', 'oauthid', 'OauthID')),
  ];
  const digest = sha256(JSON.stringify(natural));
  const id = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
  return {
    ok: true,
    record: {
      index,
      id,
      micros,
      keyHash,
      apiId,
      orgId,
      method,
      path,
      responseCode,
      latencyMs: Math.round(latencyMs),
      ip,
      tags,
      denial: responseCode === 403 ? denialOf(pick(r, 'raw_response', 'rawresponse', 'RawResponse')) : null,
    },
  };
}

/** Policy ids from the `pol-<policyId>` tags the gateway adds for every applied policy. */
export function policyIdsOf(tags: readonly string[]): string[] {
  const ids: string[] = [];
  for (const tag of tags) if (tag.startsWith('pol-') && tag.length > 4) ids.push(tag.slice(4));
  return ids;
}
