/**
 * The suites' seed through the gateway, under its older name: `new Fixtures(gatewayUrl, admin)`
 * is `new Seed(gatewayUrl, admin)` from test/kit/seed.ts, which new and changed suites use.
 */
export { Seed as Fixtures } from '../kit/seed';
