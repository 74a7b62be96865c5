/** SQL of the invitation table that the organization resolvers need. */
import { InvitationStatus } from '../entities/invitation';
import type { SqlCondition } from './pagination';

/** SQL for "effective status in …" on `developers.invitation t` (PENDING past expiry is EXPIRED). */
export function invitationStatusCondition(statuses: InvitationStatus[], at: Date): SqlCondition {
  const unique = [...new Set(statuses)].sort();
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const status of unique) {
    if (status === InvitationStatus.PENDING) {
      parts.push(`(t.status = 'PENDING' and t.expires_at > ?)`);
      params.push(at);
    } else if (status === InvitationStatus.EXPIRED) {
      parts.push(`(t.status = 'EXPIRED' or (t.status = 'PENDING' and t.expires_at <= ?))`);
      params.push(at);
    } else {
      parts.push(`t.status = ?`);
      params.push(status);
    }
  }
  return { key: unique.join(','), sql: parts.length ? parts.join(' or ') : 'true', params };
}
