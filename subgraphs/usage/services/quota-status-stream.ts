/**
 * The live quota status of a credential (`Subscription.quotaStatusChanged`): the same
 * `QuotaStatus` as `Credential.quota`, pushed when an ingest batch changes the counter the
 * credential draws from, and when that counter's window resets.
 *
 * - **News per batch.** The ingest announces, in its transaction, every counter it changed with
 *   that counter's latest window (`publishQuotaStatuses`): a live-only event (`PgPubSub.notify`,
 *   not stored: a status supersedes the previous one, and storing one per batch would only grow
 *   `platform.event`), delivered to every replica when the batch commits. A counter appears once
 *   per batch, so a subscriber gets at most one status per batch, however many of its requests
 *   the batch carried.
 * - **Status from the news.** Each subscription computes the status from the announced window
 *   and its clock (`quotaStatusOf`, as `Credential.quota` does from the stored window): no read per
 *   event.
 * - **Reset.** When the window it last pushed (or read when subscribing) ends, the subscription
 *   pushes the status of a counter without an open window (used 0, `resetsAt` null).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { PgPubSub } from '../../../common/pubsub';
import type { SqlPart } from '../../../common/sql';
import type { Clock } from '../../../common/clock';
import type { ChangedCounter } from '../data/quota-windows';
import type { CredentialRow } from '../contracts/credentials';
import type { Counter, WindowRow } from './quota-status';
import { quotaStatusOf } from './quota-status';
import type { QuotaScope, QuotaStatus } from '../resolvers/usage.types';

/** PubSub topic of counter changes (`PgPubSub.notify`), consumed by `Subscription.quotaStatusChanged`. */
export const QUOTA_STATUS_TOPIC = 'quotaStatusChanged';

/** Counters per event: each entry is about 300 bytes of JSON, under NOTIFY's 8000-byte limit. */
export const COUNTERS_PER_EVENT = 20;

/** One changed counter in an event (dates as ISO-8601 strings). */
export interface QuotaCounterNews {
  scope: QuotaScope;
  planId: string;
  organizationId: string;
  appId: string | null;
  credentialId: string | null;
  limit: number;
  periodSeconds: number;
  windowStart: string;
  resetsAt: string;
  used: number;
}

/** The payload of a `quotaStatusChanged` event. */
export interface QuotaStatusEvent {
  counters: QuotaCounterNews[];
}

/** The events that announce the changed counters, COUNTERS_PER_EVENT to an event (under NOTIFY's size limit). */
export function quotaStatusEvents(changed: readonly ChangedCounter[]): QuotaStatusEvent[] {
  const events: QuotaStatusEvent[] = [];
  for (let i = 0; i < changed.length; i += COUNTERS_PER_EVENT) {
    const counters = changed.slice(i, i + COUNTERS_PER_EVENT).map((c): QuotaCounterNews => ({
      scope: c.scope as QuotaScope,
      planId: c.planId,
      organizationId: c.organizationId,
      appId: c.appId,
      credentialId: c.credentialId,
      limit: c.limit,
      periodSeconds: c.periodSeconds,
      windowStart: c.windowStart.toISOString(),
      resetsAt: c.resetsAt.toISOString(),
      used: c.used,
    }));
    events.push({ counters });
  }
  return events;
}

/**
 * The announcement of the changed counters as a part of the batch's write statement (delivered when
 * the batch's transaction commits); null when no counter changed.
 */
export function quotaStatusNotices(changed: readonly ChangedCounter[]): SqlPart | null {
  return PgPubSub.liveEventsPart(QUOTA_STATUS_TOPIC, quotaStatusEvents(changed));
}

/** Announces the changed counters inside the transaction `tx`, one statement per event (delivered when it commits). */
export async function publishQuotaStatuses(
  tx: EntityManager,
  pubsub: Pick<PgPubSub, 'notify'>,
  changed: readonly ChangedCounter[],
): Promise<void> {
  for (const event of quotaStatusEvents(changed)) await pubsub.notify(tx, QUOTA_STATUS_TOPIC, event);
}

/**
 * The news about the counter `credential` draws from, or undefined. Matched on the event's scope
 * (the plan's quota scope when the batch counted), so a plan whose scope changed is followed.
 */
export function newsFor(credential: CredentialRow, event: QuotaStatusEvent): QuotaCounterNews | undefined {
  return event.counters.find(
    (c) =>
      c.planId === credential.plan_id &&
      (c.scope === 'CREDENTIAL'
        ? c.credentialId === credential.id
        : c.scope === 'APP'
          ? c.appId === credential.app_id
          : c.organizationId === credential.organization_id),
  );
}

function counterOfNews(credential: CredentialRow, news: QuotaCounterNews): Counter {
  return {
    scope: news.scope,
    subjectId: news.scope === 'CREDENTIAL' ? credential.id : news.scope === 'APP' ? credential.app_id : credential.organization_id,
    planId: news.planId,
    appId: news.scope === 'ORGANIZATION' ? null : credential.app_id,
    credentialId: news.scope === 'CREDENTIAL' ? credential.id : null,
    limit: news.limit,
    periodSeconds: news.periodSeconds,
  };
}

/** Longest timer Node takes (about 24.8 days); a later reset is waited for in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The statuses of one credential's counter: one per event that changes it, and one when its
 * window resets. Listens to `source` at once (before `initial` is read, so that no batch
 * committing meanwhile is missed); `initial` is the counter and window read when subscribing
 * (null: no quota, or no window yet), for the first reset. Returning ends the source and the timer.
 */
export function quotaStatusStream(
  credential: CredentialRow,
  source: AsyncIterable<unknown>,
  clock: Clock,
  initial: Promise<{ counter: Counter; window: WindowRow | null } | null>,
): AsyncIterableIterator<QuotaStatus> {
  const events = source[Symbol.asyncIterator]();
  const queue: QuotaStatus[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  let timer: NodeJS.Timeout | null = null;
  let pending: Promise<void> | null = null;

  const push = (status: QuotaStatus) => {
    queue.push(status);
    wake?.();
  };
  /** Pushes the counter's reset status when `resetsAt` comes (at that instant's status, whatever a manual clock says). */
  const scheduleReset = (counter: Counter, resetsAt: Date | null) => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (done || !resetsAt) return;
    const wait = resetsAt.getTime() - clock.now().getTime();
    if (wait <= 0) return;
    timer = setTimeout(
      () => {
        timer = null;
        if (wait > MAX_TIMER_MS) return scheduleReset(counter, resetsAt);
        const now = new Date(Math.max(clock.now().getTime(), resetsAt.getTime()));
        push(quotaStatusOf(counter, null, now));
      },
      Math.min(wait, MAX_TIMER_MS),
    );
    timer.unref();
  };
  let newsSeen = false;

  /** Reads events until one is news for this credential (queued), or the source ends. */
  const pull = async () => {
    for (;;) {
      const { done: ended, value } = await events.next();
      if (ended) {
        done = true;
        wake?.();
        return;
      }
      const news = newsFor(credential, value as QuotaStatusEvent);
      if (!news) continue;
      const counter = counterOfNews(credential, news);
      const window: WindowRow = { window_start: new Date(news.windowStart), resets_at: new Date(news.resetsAt), used: news.used };
      const status = quotaStatusOf(counter, window, clock.now());
      newsSeen = true;
      scheduleReset(counter, status.resetsAt);
      push(status);
      return;
    }
  };

  const stop = () => {
    done = true;
    if (timer) clearTimeout(timer);
    timer = null;
    wake?.();
  };
  // Listening starts now (a pubsub subscription registers on its first `next`).
  pending = pull().finally(() => (pending = null));
  void initial.then(
    (start) => {
      if (start?.window && !newsSeen) scheduleReset(start.counter, quotaStatusOf(start.counter, start.window, clock.now()).resetsAt);
    },
    () => undefined,
  );
  const iterator: AsyncIterableIterator<QuotaStatus> = {
    async next() {
      for (;;) {
        const status = queue.shift();
        if (status) return { done: false, value: status };
        if (done) return { done: true, value: undefined };
        pending ??= pull().finally(() => (pending = null));
        await Promise.race([pending, new Promise<void>((resolve) => (wake = resolve))]);
        wake = null;
      }
    },
    async return() {
      stop();
      await events.return?.();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      stop();
      await events.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
