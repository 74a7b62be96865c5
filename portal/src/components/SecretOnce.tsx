import { CopyButton } from '../ui';

/** A credential's secret, shown this once: the API keeps only its hash. */
export function SecretOnce({ secret, prefix }: { secret: string; prefix?: string }) {
  return (
    <div className="secret" role="region" aria-label="Your new API key">
      <h2>Your API key{prefix ? ` (${prefix}…)` : ''}</h2>
      <p>
        <strong>Copy it now: it is shown only this once.</strong> Send it in the <code>Authorization</code> header of your requests.
      </p>
      <p className="secret-value">
        <code data-secret>{secret}</code> <CopyButton text={secret} label="Copy key" />
      </p>
    </div>
  );
}
