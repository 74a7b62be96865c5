/**
 * The webhook jobs (docs/WEBHOOKS.md):
 *
 * - `developers.dispatchWebhooks` fans the outbox (`platform.webhook_event`) out into one PENDING
 *   delivery per (enabled endpoint that wants the event, event), under the single cursor row, and
 *   enqueues each endpoint's delivery job. Enqueued with every event, coalesced by its job key.
 * - `developers.deliverWebhooks { endpointId }` sends one endpoint's deliveries head of line:
 *   oldest first, the next only once the one before SUCCEEDED or FAILED. A failed attempt records
 *   the answer and the next retry and reschedules the job for then (exponential back-off,
 *   WEBHOOK_RETRY_BASE_MS doubling up to 2 hours); past the retry window (WEBHOOK_RETRY_WINDOW_SECONDS)
 *   the delivery is FAILED and the endpoint disabled with its reason, an audit entry and a
 *   WEBHOOK_ENDPOINT_DISABLED event. Its job key and queue are the endpoint's, so one endpoint's
 *   deliveries are never sent by two workers at once, and a retry scheduled for later stays later
 *   when new events arrive (`preserve_run_at`).
 *
 * Bookkeeping is SQL outside the ORM (no audit entry per attempt); the HTTP call is made outside
 * any transaction.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import { appendAudit } from '../../../common/audit';
import { systemClock } from '../../../common/clock';
import { webhookConfig } from '../../../common/config';
import { isUuid } from '../../../common/ids';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import type { JobRuntime } from '../../../common/server';
import { recordWebhookEvent, WEBHOOK_DISPATCH_JOB_KEY } from '../../../common/webhooks';
import { openSecret } from '../secrets';
import { attemptDelivery } from '../webhooks/sender';
import { signedHeaders } from '../webhooks/signing';

/** Events fanned out per dispatch transaction (a longer backlog is dispatched by the next run, enqueued at once). */
const DISPATCH_BATCH = 500;
/** Finished deliveries, and dispatched events without deliveries, are kept this long. */
export const RETENTION_DAYS = 30;
/** Rows each dispatch deletes at most, per table. */
const PURGE_BATCH = 1000;
/** Deliveries one run of an endpoint's job sends before it hands over to a new run (other endpoints get workers too). */
const DELIVERIES_PER_RUN = 50;
/** Retries due within this many milliseconds wait in the running job instead of the queue (short WEBHOOK_RETRY_BASE_MS only). */
const IN_JOB_RETRY_MS = 1000;
/** The longest wait between two attempts. */
export const MAX_RETRY_DELAY_MS = 2 * 60 * 60 * 1000;

export function endpointJobKey(endpointId: string): string {
  return `webhook-endpoint:${endpointId}`;
}

/** Enqueues an endpoint's delivery job in the transaction of `em` (a retry scheduled for later keeps its time). */
export function enqueueEndpointDelivery(em: EntityManager, endpointId: string, delaySeconds?: number): Promise<void> {
  const key = endpointJobKey(endpointId);
  return enqueueJob(
    em,
    JOB_TASKS.deliverWebhooks,
    { endpointId },
    delaySeconds === undefined
      ? { jobKey: key, queueName: key, jobKeyMode: 'preserve_run_at' }
      : { jobKey: key, queueName: key, jobKeyMode: 'replace', delaySeconds },
  );
}

/** The wait before retry number `attempt` (1 = the first retry): base × 2^(attempt−1), at most 2 hours. */
export function retryDelayMs(baseMs: number, attempt: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.min(attempt - 1, 30));
}

export async function dispatchWebhooks(runtime: JobRuntime): Promise<void> {
  const now = runtime.clock.now();
  await runtime.orm.em.fork().transactional(async (tx) => {
    const em = tx as EntityManager;
    const connection = em.getConnection();
    const context = em.getTransactionContext();
    // One dispatcher at a time: the cursor row is locked until this transaction ends.
    const [cursor] = await connection.execute<{ last_event_id: string }[]>(
      'select last_event_id from developers.webhook_dispatch_cursor where id = 1 for update',
      [],
      'all',
      context,
    );
    const events = await connection.execute<{ id: string }[]>(
      'select id from platform.webhook_event where id > ? order by id limit ?',
      [cursor!.last_event_id, DISPATCH_BATCH],
      'all',
      context,
    );
    if (events.length === 0) return;
    const last = events[events.length - 1]!.id;
    // Deliveries get their `seq` in event order: each endpoint's order of sending.
    const created = await connection.execute<{ endpoint_id: string }[]>(
      `insert into developers.webhook_delivery (id, endpoint_id, event_id, event_type, organization_id, status, attempts, created_at)
       select gen_random_uuid(), e.id, ev.id, ev.type, ev.organization_id, 'PENDING', 0, ?
         from platform.webhook_event ev
         join developers.webhook_endpoint e
           on e.enabled
          and ev.type = any (e.event_types)
          and ev.id > e.from_event_id
          and (e.organization_id is null or e.organization_id = ev.organization_id)
        where ev.id > ? and ev.id <= ?
        order by ev.id, e.id
       returning endpoint_id`,
      [now, cursor!.last_event_id, last],
      'all',
      context,
    );
    await connection.execute('update developers.webhook_dispatch_cursor set last_event_id = ? where id = 1', [last], 'run', context);
    for (const endpointId of new Set(created.map((row) => row.endpoint_id))) await enqueueEndpointDelivery(em, endpointId);
    if (events.length === DISPATCH_BATCH) await enqueueJob(em, JOB_TASKS.dispatchWebhooks, {}, { jobKey: WEBHOOK_DISPATCH_JOB_KEY });
    await purgeOld(em, now, last);
  });
}

/**
 * Retention: deliveries that ended more than `RETENTION_DAYS` ago, and events of that age that
 * are dispatched and have no delivery left, are deleted (a bounded number per dispatch).
 */
async function purgeOld(em: EntityManager, now: Date, dispatchedUpTo: string): Promise<void> {
  const before = new Date(now.getTime() - RETENTION_DAYS * 86_400_000);
  const connection = em.getConnection();
  const context = em.getTransactionContext();
  await connection.execute(
    `delete from developers.webhook_delivery where id in (
       select id from developers.webhook_delivery where status <> 'PENDING' and completed_at < ? limit ?)`,
    [before, PURGE_BATCH],
    'run',
    context,
  );
  await connection.execute(
    `delete from platform.webhook_event where id in (
       select ev.id from platform.webhook_event ev
        where ev.id <= ? and ev.occurred_at < ?
          and not exists (select 1 from developers.webhook_delivery d where d.event_id = ev.id)
        order by ev.id limit ?)`,
    [dispatchedUpTo, before, PURGE_BATCH],
    'run',
    context,
  );
}

interface EndpointRow {
  id: string;
  organization_id: string | null;
  url: string;
  enabled: boolean;
  enabled_at: Date | string;
  secret_encrypted: string;
  previous_secret_encrypted: string | null;
  previous_secret_expires_at: Date | string | null;
}

interface HeadRow {
  id: string;
  event_id: string;
  attempts: number;
  next_attempt_at: Date | string | null;
  created_at: Date | string;
  type: string;
  organization_id: string | null;
  occurred_at: Date | string;
  data: Record<string, unknown>;
}

/** The body every endpoint gets for an event (Standard Webhooks' recommended shape). */
export function webhookBody(head: Pick<HeadRow, 'type' | 'organization_id' | 'occurred_at' | 'data'>): string {
  return JSON.stringify({
    type: head.type,
    timestamp: new Date(head.occurred_at).toISOString(),
    data: { organizationId: head.organization_id, ...head.data },
  });
}

export async function deliverWebhooks(runtime: JobRuntime, payload: unknown): Promise<void> {
  const endpointId = (payload as { endpointId?: unknown } | null)?.endpointId;
  if (!isUuid(endpointId)) {
    runtime.log.warn({ task: JOB_TASKS.deliverWebhooks }, 'dropped a job without a valid endpointId');
    return;
  }
  const config = webhookConfig(runtime.env);
  const em = runtime.orm.em.fork() as EntityManager;
  const connection = em.getConnection();
  for (let sent = 0; ; sent += 1) {
    const [endpoint] = await connection.execute<EndpointRow[]>('select * from developers.webhook_endpoint where id = ?', [endpointId]);
    if (!endpoint || !endpoint.enabled) return;
    const [head] = await connection.execute<HeadRow[]>(
      `select d.id, d.event_id, d.attempts, d.next_attempt_at, d.created_at, ev.type, ev.organization_id, ev.occurred_at, ev.data
         from developers.webhook_delivery d join platform.webhook_event ev on ev.id = d.event_id
        where d.endpoint_id = ? and d.status = 'PENDING' order by d.seq limit 1`,
      [endpointId],
    );
    if (!head) return;
    if (sent >= DELIVERIES_PER_RUN) {
      await em.transactional((tx) => enqueueEndpointDelivery(tx as EntityManager, endpointId, 0));
      return;
    }
    const now = runtime.clock.now();
    const nextAttemptAt = head.next_attempt_at === null ? null : new Date(head.next_attempt_at);
    if (nextAttemptAt && nextAttemptAt.getTime() > now.getTime()) {
      const wait = (nextAttemptAt.getTime() - now.getTime()) / 1000;
      await em.transactional((tx) => enqueueEndpointDelivery(tx as EntityManager, endpointId, wait));
      return;
    }
    const secrets = [openSecret(endpoint.secret_encrypted, runtime.env)];
    const previousUntil = endpoint.previous_secret_expires_at === null ? null : new Date(endpoint.previous_secret_expires_at);
    if (endpoint.previous_secret_encrypted && previousUntil && previousUntil.getTime() > now.getTime()) {
      secrets.push(openSecret(endpoint.previous_secret_encrypted, runtime.env));
    }
    const body = webhookBody(head);
    // The signature's timestamp is the system clock's, not the subgraph's: receivers compare it with their own clocks.
    const headers = { ...signedHeaders(`msg_${head.event_id}`, systemClock.now(), body, secrets), 'user-agent': 'Plangraph-Webhooks/1' };
    const result = await attemptDelivery(endpoint.url, headers, body, config, config.timeoutMs);
    const at = runtime.clock.now();
    const attempts = head.attempts + 1;
    if (result.ok) {
      await connection.execute(
        `update developers.webhook_delivery
            set status = 'SUCCEEDED', attempts = ?, last_attempt_at = ?, response_status = ?, response_time_ms = ?,
                last_error = null, next_attempt_at = null, completed_at = ?
          where id = ? and status = 'PENDING'`,
        [attempts, at, result.status, result.elapsedMs, at, head.id],
      );
      continue;
    }
    const windowStart = Math.max(new Date(head.created_at).getTime(), new Date(endpoint.enabled_at).getTime());
    const deadline = windowStart + config.retryWindowSeconds * 1000;
    const delay = retryDelayMs(config.retryBaseMs, attempts);
    const next = new Date(at.getTime() + delay);
    if (next.getTime() <= deadline && delay <= IN_JOB_RETRY_MS) {
      // A retry due sooner than the queue would notice it (it polls for jobs due later): waited here.
      await connection.execute(
        `update developers.webhook_delivery
            set attempts = ?, last_attempt_at = ?, response_status = ?, response_time_ms = ?, last_error = ?, next_attempt_at = ?
          where id = ? and status = 'PENDING'`,
        [attempts, at, result.status, result.elapsedMs, result.error, next, head.id],
      );
      await sleep(delay);
      continue;
    }
    if (next.getTime() <= deadline) {
      await em.transactional(async (tx) => {
        await tx.getConnection().execute(
          `update developers.webhook_delivery
                set attempts = ?, last_attempt_at = ?, response_status = ?, response_time_ms = ?, last_error = ?, next_attempt_at = ?
              where id = ? and status = 'PENDING'`,
          [attempts, at, result.status, result.elapsedMs, result.error, next, head.id],
          'run',
          tx.getTransactionContext(),
        );
        await enqueueEndpointDelivery(tx as EntityManager, endpointId, delay / 1000);
      });
      return;
    }
    await failAndDisable(runtime, em, endpoint, head.id, { attempts, at, result });
    return;
  }
}

/** `90 s`, `30 min`, `24 h`. */
function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round((seconds / 3600) * 10) / 10} h`;
}

/**
 * The retry window is over: the delivery is FAILED and the endpoint disabled (every attempt of the
 * window failed), with the reason on the endpoint, an audit entry and a WEBHOOK_ENDPOINT_DISABLED
 * event for the other endpoints that want it. Waiting deliveries stay PENDING until it is enabled again.
 */
async function failAndDisable(
  runtime: JobRuntime,
  em: EntityManager,
  endpoint: EndpointRow,
  deliveryId: string,
  failure: { attempts: number; at: Date; result: { status: number | null; elapsedMs: number; error: string | null } },
): Promise<void> {
  const { attempts, at, result } = failure;
  const reason = `Every delivery attempt for ${duration(webhookConfig(runtime.env).retryWindowSeconds)} failed (last: ${result.error ?? 'no answer'}). Fix the receiver, then enable the endpoint again (updateWebhookEndpoint): waiting deliveries resume, failed ones can be sent again with redeliverWebhook.`;
  await em.transactional(async (tx) => {
    const connection = tx.getConnection();
    const context = tx.getTransactionContext();
    await connection.execute(
      `update developers.webhook_delivery
          set status = 'FAILED', attempts = ?, last_attempt_at = ?, response_status = ?, response_time_ms = ?, last_error = ?,
              next_attempt_at = null, completed_at = ?
        where id = ? and status = 'PENDING'`,
      [attempts, at, result.status, result.elapsedMs, result.error, at, deliveryId],
      'run',
      context,
    );
    const disabled = await connection.execute<{ id: string }[]>(
      `update developers.webhook_endpoint set enabled = false, disabled_at = ?, disabled_reason = ?, updated_at = ?
        where id = ? and enabled returning id`,
      [at, reason, at, endpoint.id],
      'all',
      context,
    );
    if (disabled.length === 0) return;
    await appendAudit(
      tx as EntityManager,
      'developers',
      {
        action: JOB_TASKS.deliverWebhooks,
        change: 'UPDATE',
        targetType: 'WebhookEndpoint',
        targetId: endpoint.id,
        organizationId: endpoint.organization_id,
        before: { enabled: true },
        after: { enabled: false, disabledAt: at, disabledReason: reason },
      },
      null,
    );
    await recordWebhookEvent(tx as EntityManager, {
      type: 'WEBHOOK_ENDPOINT_DISABLED',
      organizationId: endpoint.organization_id,
      occurredAt: at,
      data: { webhookEndpointId: endpoint.id, reason },
    });
  });
  runtime.log.warn({ endpointId: endpoint.id, attempts }, 'webhook endpoint disabled: its deliveries kept failing');
}
