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

export function sessionFromToken(token: string, rolesClaim = 'roles'): Session | null {
  const claims = decodeClaims(token);
  if (!claims || typeof claims.sub !== 'string') return null;
  const roles = Array.isArray(claims[rolesClaim])
    ? (claims[rolesClaim] as unknown[]).filter((r): r is string => typeof r === 'string')
    : [];
  return { token, subject: claims.sub, roles, expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null };
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
