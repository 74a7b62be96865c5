/**
 * `quotaWarningsHistory`: the quota warnings of an organization (optionally one app) as the
 * `quotaWarnings` stream delivered them, a page at a time. The resolver authorises first.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../../../common/errors';
import { parseEventCursor } from '../../../common/pubsub';
import { lazy, PageInfo, pageSize, type ConnectionShape, type PageArgs } from '../../../common/relay';
import { QuotaWarning } from '../entities/quota-warning';
import { QUOTA_WARNINGS_TOPIC } from './quota-warnings';
import { HIDDEN_APPS_SQL } from '../../../common/audience';

export interface QuotaWarningsHistoryQuery {
  organizationId: string;
  appId: string | null;
  since: Date | null;
  page: PageArgs;
  /** A MEMBER's subject: only warnings about the organization or apps the member may see. Null: every app. */
  memberSubject?: string | null;
}

export async function quotaWarningsHistory(
  em: EntityManager,
  { organizationId, appId, since, page, memberSubject = null }: QuotaWarningsHistoryQuery,
): Promise<ConnectionShape<QuotaWarning>> {
  const limit = pageSize(page.first);
  const after = parseEventCursor(page.after);
  if (since !== null && since !== undefined && Number.isNaN(since.getTime())) throw badInput('since', 'Pass a valid date-time.');
  const match = JSON.stringify(
    appId ? { organizationId: organizationId.toLowerCase(), appId: appId.toLowerCase() } : { organizationId: organizationId.toLowerCase() },
  );
  const sinceText = (since ?? new Date(0)).toISOString();
  // In event order (the stream `quotaWarnings` delivers, ids in commit order: an exact resume
  // point), showing each warning as it is now; warnings retracted since (their quota window was
  // replaced by late usage) are left out.
  const visible = memberSubject === null ? '' : ` and (w.app_id is null or w.app_id not in (${HIDDEN_APPS_SQL}))`;
  const visibleParams = memberSubject === null ? [] : [organizationId.toLowerCase(), memberSubject, memberSubject];
  const from = `from platform.event e join usage.quota_warning w on w.id = (e.payload->>'id')::uuid
    where e.topic = ? and e.payload @> ?::jsonb and w.created_at >= ?${visible}`;
  const connection = em.getConnection();
  const rows = await connection.execute<Record<string, unknown>[]>(
    `select e.id as event_cursor, w.* ${from} and e.id > ? order by e.id limit ?`,
    [QUOTA_WARNINGS_TOPIC, match, sinceText, ...visibleParams, after ?? '0', limit + 1],
  );
  const edges = rows.slice(0, limit).map((row) => {
    const cursor = String(row.event_cursor);
    const { event_cursor: _cursor, ...columns } = row;
    const node = Object.assign(em.map(QuotaWarning, columns), { cursor });
    return { cursor, node };
  });
  return {
    edges,
    pageInfo: Object.assign(new PageInfo(), {
      hasNextPage: rows.length > limit,
      hasPreviousPage: after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    }),
    totalCount: lazy(async () => {
      const counted = await connection.execute<{ n: number }[]>(`select count(*)::int as n ${from}`, [
        QUOTA_WARNINGS_TOPIC,
        match,
        sinceText,
        ...visibleParams,
      ]);
      return Number(counted[0]?.n ?? 0);
    }),
  };
}
