import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { CombinedError } from 'urql';
import { navigate } from './router';
import { signOut, useSession } from './session';

/** Shared pieces: loading and error states, mutation errors, formatting. */
export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted" role="status">
      {what}…
    </p>
  );
}

export function QueryError({ error }: { error: CombinedError | undefined }) {
  const session = useSession();
  if (!error) return null;
  const codes = error.graphQLErrors.map((e) => e.extensions?.code).filter(Boolean);
  const refused = session ? error.graphQLErrors.find((e) => e.extensions?.code === 'UNAUTHENTICATED') : undefined;
  if (refused)
    // A token the gateway does not accept (forged, altered, expired, from another issuer): say so.
    return (
      <div className="error" role="alert">
        <p>
          The API did not accept your sign-in ({refused.message}): the token may have expired or been altered, or come from an issuer the
          API does not trust.
        </p>
        <button
          type="button"
          onClick={() => {
            signOut();
            navigate('/sign-in');
          }}
        >
          Sign in again
        </button>
      </div>
    );
  return (
    <p className="error" role="alert">
      {codes.includes('UNAUTHENTICATED') ? 'Please sign in first.' : codes.includes('FORBIDDEN') ? 'You may not see this.' : error.message}
    </p>
  );
}

export interface UserErrorLike {
  code: string;
  field?: string | null;
  message: string;
}

export function UserErrors({ errors }: { errors: readonly UserErrorLike[] | undefined | null }) {
  if (!errors?.length) return null;
  return (
    <ul className="error" role="alert">
      {errors.map((e, i) => (
        <li key={i}>
          <strong>{e.code}</strong>
          {e.field ? ` (${e.field})` : ''}: {e.message}
        </li>
      ))}
    </ul>
  );
}

export function Page({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Plangraph portal`;
  }, [title]);
  return (
    <section aria-labelledby="page-title">
      <div className="page-head">
        <h1 id="page-title" ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {actions}
      </div>
      {children}
    </section>
  );
}

export const number = (n: number | null | undefined) => (n === null || n === undefined ? '—' : new Intl.NumberFormat('en').format(n));

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return 'never expires';
  const units: [number, string][] = [
    [86_400 * 365, 'year'],
    [86_400 * 30, 'month'],
    [86_400 * 7, 'week'],
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size} ${name}${seconds / size === 1 ? '' : 's'}`;
  }
  return `${seconds} seconds`;
}

/** "in 3 min 20 s", from now to an ISO time; re-renders every second. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export function until(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  let s = Math.max(0, Math.round((Date.parse(iso) - now) / 1000));
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return [d && `${d} d`, h && `${h} h`, m && `${m} min`, `${s} s`].filter(Boolean).join(' ');
}

export const dateTime = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'medium' }) : '—';

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="secondary"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          // No clipboard permission: select the text for a manual copy instead.
          const range = document.createRange();
          const node = document.querySelector('[data-secret]');
          if (node) {
            range.selectNodeContents(node);
            getSelection()?.removeAllRanges();
            getSelection()?.addRange(range);
          }
        }
        setCopied(true);
      }}
    >
      {copied ? 'Copied' : label}
      <span className="visually-hidden" aria-live="polite">
        {copied ? ' to the clipboard' : ''}
      </span>
    </button>
  );
}
