import { syncState, SyncStatus, withPendingJobs, type PendingJob } from './sync-state';

/** `sync` never claims SYNCED while a change waits in the job queue, and flags what is stuck. */
describe('withPendingJobs', () => {
  const now = new Date('2026-12-05T12:00:00Z');
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
  const job = (values: Partial<PendingJob> = {}): PendingJob => ({
    createdAt: ago(30),
    attempts: 0,
    maxAttempts: 25,
    runAt: ago(30),
    lockedAt: null,
    ...values,
  });

  it('leaves a state alone when nothing waits', () => {
    const state = withPendingJobs(syncState({ status: SyncStatus.SYNCED, attempts: 1, syncedAt: ago(60) }), [null, null], now, 300);
    expect(state).toMatchObject({ status: SyncStatus.SYNCED, attempts: 1, pendingSince: null, nextAttemptAt: null, stuck: false });
  });

  it('turns a SYNCED state with a queued change into PENDING, since the change was queued', () => {
    const state = withPendingJobs(
      syncState({ status: SyncStatus.SYNCED, attempts: 1, syncedAt: ago(600) }),
      [job({ runAt: ago(5) })],
      now,
      300,
    );
    expect(state).toMatchObject({ status: SyncStatus.PENDING, attempts: 0, pendingSince: ago(30), nextAttemptAt: ago(5), stuck: false });
  });

  it('counts an attempt that is running but not recorded (its worker may be gone)', () => {
    const state = withPendingJobs(syncState({ status: SyncStatus.PENDING }), [job({ attempts: 1, lockedAt: ago(20) })], now, 300);
    expect(state).toMatchObject({ status: SyncStatus.PENDING, attempts: 1, nextAttemptAt: null, stuck: false });
  });

  it('flags a change that waited longer than the threshold, and keeps FAILED with its recorded attempts', () => {
    const state = withPendingJobs(
      syncState({ status: SyncStatus.FAILED, attempts: 7 }),
      [job({ createdAt: ago(301), attempts: 3 })],
      now,
      300,
    );
    expect(state).toMatchObject({ status: SyncStatus.FAILED, attempts: 7, pendingSince: ago(301), stuck: true });
  });

  it('reports FAILED and stuck once retries are spent', () => {
    const state = withPendingJobs(syncState({ status: SyncStatus.SYNCED, syncedAt: ago(900) }), [job({ attempts: 25 })], now, 300);
    expect(state).toMatchObject({ status: SyncStatus.FAILED, attempts: 25, nextAttemptAt: null, stuck: true });
  });

  it('ignores the running job whose run already recorded the sync (it is about to be removed)', () => {
    const state = withPendingJobs(
      syncState({ status: SyncStatus.SYNCED, attempts: 1, syncedAt: ago(1) }),
      [job({ attempts: 1, lockedAt: ago(2) })],
      now,
      300,
    );
    expect(state).toMatchObject({ status: SyncStatus.SYNCED, pendingSince: null, stuck: false });
  });

  it('takes the oldest of several jobs (a key issue and a revocation)', () => {
    const state = withPendingJobs(
      syncState({ status: SyncStatus.SYNCED, syncedAt: ago(900) }),
      [job({ createdAt: ago(10), runAt: ago(10) }), job({ createdAt: ago(40), runAt: ago(3) })],
      now,
      300,
    );
    expect(state).toMatchObject({ status: SyncStatus.PENDING, pendingSince: ago(40), nextAttemptAt: ago(10) });
  });
});
