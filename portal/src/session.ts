import { useSyncExternalStore } from 'react';

/**
 * Who is signed in: the bearer token the portal sends to the gateway, kept in sessionStorage
 * (gone when the tab closes), and the claims it carries, read for display only — the gateway
 * verifies the token, the subgraphs decide what it may do.
 */
export interface Session {
  token: string;
  subject: string;
  roles: string[];
  expiresAt: number | null;
}

const KEY = 'plangraph.session';
const listeners = new Set<() => void>();
/** The claim that lists the caller's roles, as the subgraphs read it (`JWT_ROLES_CLAIM`). */
let rolesClaim = 'roles';
let current: Session | null = read();

function decodeClaims(token: string): Record<string, unknown> | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(
      payload
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(payload.length / 4) * 4, '='),
    );
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Roles as the subgraphs read them: a list, or one string of names separated by spaces or commas. */
function rolesOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((r): r is string => typeof r === 'string');
  return typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : [];
}

export function sessionFromToken(token: string, claim = rolesClaim): Session | null {
  const claims = decodeClaims(token);
  if (!claims || typeof claims.sub !== 'string') return null;
  return {
    token,
    subject: claims.sub,
    roles: rolesOf(claims[claim]),
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null,
  };
}

/** Reads roles from `claim` from now on (the portal's settings name it); the current session is read again. */
export function setRolesClaim(claim: string): void {
  rolesClaim = claim;
  current = read();
  listeners.forEach((listener) => listener());
}

function read(): Session | null {
  try {
    const token = sessionStorage.getItem(KEY);
    const session = token ? sessionFromToken(token) : null;
    return session && (session.expiresAt === null || session.expiresAt > Date.now()) ? session : null;
  } catch {
    return null;
  }
}

export function signIn(token: string): Session {
  const session = sessionFromToken(token);
  if (!session) throw new Error('The token has no subject.');
  sessionStorage.setItem(KEY, token);
  current = session;
  listeners.forEach((listener) => listener());
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  current = null;
  listeners.forEach((listener) => listener());
}

export function useSession(): Session | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
}

export const isPortalAdmin = (session: Session | null) => Boolean(session?.roles.includes('portal_admin'));
