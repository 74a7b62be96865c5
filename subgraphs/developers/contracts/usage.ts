/**
 * When credentials were last used, as the usage subgraph publishes it
 * (`usage.credential_activity_contract`: the start of the minute of the last request, null for
 * never). Read inside the caller's transaction; the view is probed per credential (a lateral join
 * on its `credential_id`), so a read costs one index probe per credential it looks at.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray, query } from '../../../common/sql';

/** The SQL of a lateral join giving `<alias>.last_used_at` for the credential whose id is `idColumn`. */
export function lastUsedJoin(idColumn: string, alias = 'activity'): string {
  return `left join lateral (
      select max(u.last_used_at) as last_used_at from usage.credential_activity_contract u where u.credential_id = ${idColumn}
    ) ${alias} on true`;
}

/** When each credential was last used (null for never), by credential id. */
export async function lastUsedAt(em: EntityManager, credentialIds: readonly string[]): Promise<Map<string, Date | null>> {
  if (!credentialIds.length) return new Map();
  const rows = await query<{ id: string; last_used_at: Date | null }>(
    em,
    `select c.id::text as id, activity.last_used_at
       from unnest(?::uuid[]) as c(id)
       ${lastUsedJoin('c.id')}`,
    [pgArray([...credentialIds])],
  );
  return new Map(rows.map((row) => [row.id, row.last_used_at ? new Date(row.last_used_at) : null]));
}
