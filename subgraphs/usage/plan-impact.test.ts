import { QuotaScope } from '../../common/shared-enums';
import { Replay } from './services/plan-impact';

describe('plan-impact replay of one counter', () => {
  it('opens quota windows at the first request after the last one expired, as Tyk does', () => {
    const replay = new Replay({ quota: { requests: 2, periodSeconds: 10 }, rateLimit: null, scope: QuotaScope.CREDENTIAL });
    // Window 1 opens at 0 s: 0, 4, 9.999 s (one over); window 2 opens at 10 s: 10, 19 s; window 3 opens at 25 s.
    for (const at of [0, 4_000, 9_999, 10_000, 19_000, 25_000]) replay.add(at);
    expect(replay).toMatchObject({ requests: 6, quotaWindows: 3, quotaWindowsExceeded: 1, peakQuotaUsed: 3, requestsOverQuota: 1 });
  });

  it('refuses over a sliding rate window; refused requests do not fill it, and long histories stay exact', () => {
    const replay = new Replay({ quota: null, rateLimit: { requests: 3, perSeconds: 1 }, scope: QuotaScope.APP });
    // 0, 0.2, 0.4 s allowed; 0.6 refused (three allowed in (−0.4, 0.6]); 1.1, 1.3 and 1.45 allowed as
    // 0, 0.2 and 0.4 leave the window; 1.5 refused (1.1, 1.3, 1.45 in (0.5, 1.5]) though the refused 0.6 is in it too.
    for (const at of [0, 200, 400, 600, 1_100, 1_300, 1_450, 1_500]) replay.add(at);
    expect(replay.requestsOverRateLimit).toBe(2);
    // Demand in (0.5, 1.5]: 0.6, 1.1, 1.3, 1.45, 1.5.
    expect(replay.peakRate).toBe(5);

    // 20,000 requests 1 ms apart against 1,000 per second: exactly 1,000 allowed per second.
    const long = new Replay({ quota: null, rateLimit: { requests: 1000, perSeconds: 1 }, scope: QuotaScope.CREDENTIAL });
    for (let i = 0; i < 20_000; i++) long.add(i);
    expect(long.requests).toBe(20_000);
    expect(long.requestsOverRateLimit).toBe(0);
    expect(long.peakRate).toBe(1000);
    const burst = new Replay({ quota: null, rateLimit: { requests: 1000, perSeconds: 1 }, scope: QuotaScope.CREDENTIAL });
    for (let i = 0; i < 20_000; i++) burst.add(i / 2);
    // 2 requests per ms for 10 s: 1,000 allowed in each second, the rest refused.
    expect(burst.requestsOverRateLimit).toBe(10_000);
    expect(burst.peakRate).toBe(2000);
  });
});
