/**
 * SSRF protection of webhook delivery: which URLs an endpoint may have and which addresses the
 * platform may connect to. A URL is checked when an endpoint is saved and again, after DNS
 * resolution, on every attempt and every redirect; the sender then connects to the very address
 * that was checked (`pinnedLookup`), so a DNS answer that changes in between (rebinding) cannot
 * send it elsewhere.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Why a URL or address is refused: a stable code for the payload's UserError. */
export type UrlRefusal = 'INVALID_WEBHOOK_URL' | 'WEBHOOK_ADDRESS_NOT_ALLOWED' | 'WEBHOOK_HOST_NOT_FOUND';

export class WebhookUrlError extends Error {
  constructor(
    readonly code: UrlRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface AddressPolicy {
  /** http:// is accepted for localhost only outside production. */
  production: boolean;
  /** Ranges allowed although not public (WEBHOOK_ALLOWED_CIDRS). */
  allowedCidrs: { address: string; prefix: number; family: 'ipv4' | 'ipv6' }[];
}

export const MAX_URL_LENGTH = 2000;

/**
 * Addresses that are not public unicast, refused unless allowed by WEBHOOK_ALLOWED_CIDRS: "this
 * network", private (RFC 1918, unique local), carrier-grade NAT, loopback, link-local (with the
 * cloud metadata address 169.254.169.254 and fd00:ec2::254), protocol assignments, benchmarking,
 * documentation, multicast, reserved and broadcast; IPv4-mapped, NAT64 and 6to4 IPv6 forms are
 * checked as the IPv4 address they carry.
 */
const NOT_PUBLIC = new BlockList();
for (const [address, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NOT_PUBLIC.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  NOT_PUBLIC.addSubnet(address, prefix, 'ipv6');

/** The IPv4 address an IPv6 address carries (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::`, 6to4 `2002::`), if any. */
function embeddedIpv4(address: string): string | null {
  const groups = expandIpv6(address.toLowerCase());
  if (!groups) return null;
  const toV4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return toV4(groups[6]!, groups[7]!);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return toV4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return toV4(groups[1]!, groups[2]!);
  return null;
}

/** The eight 16-bit groups of an IPv6 address (dotted IPv4 tails included), or null. */
function expandIpv6(address: string): number[] | null {
  let text = address.split('%')[0]!;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const parts = tail[1]!.split('.').map(Number);
    text = `${text.slice(0, -tail[1]!.length)}${((parts[0]! << 8) | parts[1]!).toString(16)}:${((parts[2]! << 8) | parts[3]!).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const missing = 8 - left.length - right.length;
  if (rest === undefined ? left.length !== 8 : missing < 0) return null;
  const all = [...left, ...Array<string>(rest === undefined ? 0 : missing).fill('0'), ...right];
  const groups = all.map((g) => Number.parseInt(g || '0', 16));
  return groups.some((g) => Number.isNaN(g) || g < 0 || g > 0xffff) ? null : groups;
}

function allowList(policy: AddressPolicy): BlockList {
  const list = new BlockList();
  for (const cidr of policy.allowedCidrs) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return list;
}

/** Null when the platform may connect to `address`; otherwise why not. */
export function addressRefusal(address: string, policy: AddressPolicy): string | null {
  const family = isIP(address);
  if (!family) return 'not an IP address';
  const type = family === 6 ? 'ipv6' : 'ipv4';
  const allowed = allowList(policy);
  if (allowed.check(address, type)) return null;
  const v4 = family === 6 ? embeddedIpv4(address) : null;
  if (v4 && allowed.check(v4, 'ipv4')) return null;
  if (NOT_PUBLIC.check(address, type) || (v4 !== null && NOT_PUBLIC.check(v4, 'ipv4'))) {
    return `${address} is a private, loopback, link-local or reserved address`;
  }
  return null;
}

const LOCALHOST_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Checks a URL's form (no DNS): absolute, `https` (or `http` for localhost outside production),
 * no user name or password, at most 2000 characters, and, when its host is an IP address, an
 * allowed one. Returns the parsed URL.
 */
export function checkUrlForm(text: string, policy: AddressPolicy): URL {
  if (text.length > MAX_URL_LENGTH) throw new WebhookUrlError('INVALID_WEBHOOK_URL', `Give a URL of at most ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookUrlError('INVALID_WEBHOOK_URL', 'Give an absolute URL, such as https://example.com/webhooks.');
  }
  const localhost = LOCALHOST_NAMES.has(url.hostname.toLowerCase());
  if (url.protocol === 'http:') {
    if (!localhost || policy.production) {
      throw new WebhookUrlError('INVALID_WEBHOOK_URL', 'Use an https URL (http is accepted only for localhost, and not in production).');
    }
  } else if (url.protocol !== 'https:') {
    throw new WebhookUrlError('INVALID_WEBHOOK_URL', 'Use an https URL.');
  }
  if (url.username || url.password) {
    throw new WebhookUrlError('INVALID_WEBHOOK_URL', 'Leave user name and password out of the URL: deliveries are signed instead.');
  }
  if (url.hash) throw new WebhookUrlError('INVALID_WEBHOOK_URL', 'Leave the fragment (#…) out of the URL.');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const why = addressRefusal(host, policy);
    if (why) throw new WebhookUrlError('WEBHOOK_ADDRESS_NOT_ALLOWED', `The URL points to ${why}; give a public address.`);
  }
  return url;
}

export interface ResolvedTarget {
  url: URL;
  /** The checked address the connection must use. */
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a URL's host and picks an allowed address to connect to (the first one allowed);
 * refuses when none is. IP literals are checked as they are.
 */
export async function resolveTarget(url: URL, policy: AddressPolicy, timeoutMs: number): Promise<ResolvedTarget> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host);
  let answers: { address: string; family: number }[];
  if (literal) answers = [{ address: host, family: literal }];
  else {
    let timer: NodeJS.Timeout | undefined;
    try {
      answers = await Promise.race([
        dnsLookup(host, { all: true, verbatim: true }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('DNS timeout')), timeoutMs);
        }),
      ]);
    } catch {
      throw new WebhookUrlError('WEBHOOK_HOST_NOT_FOUND', `The host name ${host} does not resolve.`);
    } finally {
      clearTimeout(timer);
    }
  }
  const refusals: string[] = [];
  for (const answer of answers) {
    const why = addressRefusal(answer.address, policy);
    if (!why) return { url, address: answer.address, family: answer.family === 6 ? 6 : 4 };
    refusals.push(why);
  }
  throw new WebhookUrlError(
    'WEBHOOK_ADDRESS_NOT_ALLOWED',
    `The host ${host} resolves to ${refusals[0] ?? 'no address'}; give a host with a public address.`,
  );
}

/** A `lookup` for node's http(s) that answers with the checked address only (no second DNS query). */
export function pinnedLookup(target: ResolvedTarget): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as LookupFunction;
}
