import { startPlatform, type TestPlatform } from './helpers/platform';
import {
  CASES,
  createNPlusOneData,
  measureNPlusOne,
  quotaWarningRaiser,
  type NPlusOneFigure,
  type SqlCounter,
} from '../bench/n-plus-one/cases';

/**
 * The N+1 budget: for every list field that resolves entities, one request through the gateway
 * costs no more SQL statements (summed over all subgraphs) with 10 items than with 1 (a statement per
 * item would add 9; `npm run bench` measures the same at 100).
 * `npm run bench -- --only n-plus-one` prints the same figures.
 */
describe('N+1 budget: SQL statements per request do not grow with the list', () => {
  const SIZE = 10;
  let platform: TestPlatform;
  let figures: NPlusOneFigure[] = [];

  beforeAll(async () => {
    platform = await startPlatform({ gatewayEnv: { ...process.env, PLATFORM_RATE_LIMIT: '0/60' } });
    const data = await createNPlusOneData(platform.gatewayUrl, { size: SIZE, raiseWarning: quotaWarningRaiser(platform.subgraphs.usage!) });
    const counter: SqlCounter = {
      reset: () => Object.values(platform.queries).forEach((list) => (list.length = 0)),
      counts: () => Object.fromEntries(Object.entries(platform.queries).map(([name, list]) => [name, list.length])),
    };
    figures = await measureNPlusOne(platform.gatewayUrl, data, counter);
  }, 360_000); // seeds SIZE of everything through the gateway

  afterAll(async () => {
    await platform?.stop();
  });

  it.each(CASES.map((c) => [c.field, c.as]))(`%s (as %s): as many statements at ${SIZE} items as at 1`, (field, as) => {
    const figure = figures.find((f) => f.field === field && f.as === as);
    expect(figure).toBeDefined();
    const { at1, atSize, bySubgraph } = figure!;
    // On failure jest prints the counts (and which subgraphs ran them at SIZE items).
    expect(atSize <= at1 ? 'no growth' : { field, as, at1, atSize, bySubgraphAtSize: bySubgraph }).toBe('no growth');
    expect(figure!.atSize).toBeGreaterThan(0);
  });
});
