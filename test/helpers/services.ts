import { TEST_SERVICES, testVariable } from './service-table.cjs';

/**
 * A describe block that needs a service besides PostgreSQL (the table in `service-table.cjs`). It
 * runs when the service's variable was set for `npm test` and gets its URL; otherwise it is
 * skipped (its body still runs to collect the tests, with an empty URL that no hook or test
 * sees), and test/global-setup.mjs has said which suites need what and how to run them.
 */
function describeWith(name: string) {
  const service = TEST_SERVICES.find((s) => s.name === name);
  if (!service) throw new Error(`no test service ${name} in test/helpers/service-table.cjs`);
  return (title: string, body: (url: string) => void): void => {
    const url = process.env[testVariable(service)];
    if (url) describe(title, () => body(url));
    else describe.skip(`${title} (needs ${service.variable})`, () => body(''));
  };
}

/** A describe block that runs against the Redis named by REDIS_URL, and is skipped without it. */
export const describeWithRedis = describeWith('Redis');

/** A describe block that drives the Chromium the global setup found (its path), and is skipped when there is none. */
export const describeWithChromium = describeWith('Chromium');
