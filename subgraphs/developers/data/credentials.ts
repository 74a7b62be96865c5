/** SQL of the credential table that more than one resolver needs. */
import { CredentialStatus } from '../entities/credential';
import type { SqlCondition } from './pagination';

/** SQL for "effective status in …" on `developers.credential t` at `now`. */
export function credentialStatusCondition(statuses: CredentialStatus[] | null | undefined, now: Date): SqlCondition | undefined {
  const unique = [...new Set(statuses ?? [])].sort();
  if (!unique.length) return undefined;
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const status of unique) {
    if (status === CredentialStatus.REVOKED) {
      parts.push(`(t.status = 'REVOKED' or t.revokes_at <= ?)`);
      params.push(now);
    } else if (status === CredentialStatus.EXPIRED) {
      parts.push(`(t.status = 'ACTIVE' and (t.revokes_at is null or t.revokes_at > ?) and t.expires_at <= ?)`);
      params.push(now, now);
    } else {
      parts.push(`(t.status = 'ACTIVE' and (t.revokes_at is null or t.revokes_at > ?) and (t.expires_at is null or t.expires_at > ?))`);
      params.push(now, now);
    }
  }
  return { key: `${unique.join(',')}@${now.toISOString()}`, sql: parts.join(' or '), params };
}
