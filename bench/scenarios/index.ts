import type { Scenario } from '../lib/types';
import { gatewayCatalog } from './gateway-catalog';
import { catalogSql } from './catalog-sql';
import { nPlusOne } from './n-plus-one';
import { subscriptions } from './subscriptions';
import { load } from './load';
import { usageIngest } from './usage-ingest';
import { warningLatency } from './warning-latency';
import { providerSync } from './provider-sync';

/**
 * Every scenario `npm run bench` knows, in the order it runs them. A new scenario is a module
 * `bench/scenarios/<name>.ts` exporting a `Scenario`, added here. `load` runs last: it is the
 * longest and leaves the most data behind.
 */
export const SCENARIOS: Scenario[] = [gatewayCatalog, catalogSql, nPlusOne, subscriptions, usageIngest, warningLatency, providerSync, load];
