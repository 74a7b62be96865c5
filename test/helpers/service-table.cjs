// Services some suites need besides PostgreSQL (which `npm test` always has): the variable that
// names each, and the describe helper of its suites (`describeWithRedis`, test/helpers/services.ts).
// Without the variable those describe blocks are skipped and the global setup says so once;
// with it, the global setup hands its value to the tests as PLANGRAPH_TEST_<VARIABLE> and takes
// the variable itself out of their environment, so that only suites that ask for the service use
// it (a gateway started with the test process's environment keeps counting in its own process).
// Plain JavaScript: test/global-setup.mjs reads it without a build.
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

/**
 * The browser of the portal suite: CHROMIUM_PATH (which must exist when set), else the
 * distribution's /usr/bin/chromium, else Playwright's own download (`npx playwright-core install
 * chromium`); null when there is none.
 */
function locateChromium(env) {
  if (env.CHROMIUM_PATH) {
    if (!fs.existsSync(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH is set, but ${env.CHROMIUM_PATH} does not exist`);
    return env.CHROMIUM_PATH;
  }
  if (fs.existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  try {
    const downloaded = require('playwright-core').chromium.executablePath();
    if (downloaded && fs.existsSync(downloaded)) return downloaded;
  } catch {
    // playwright-core knows no download for this platform
  }
  return null;
}

/**
 * Each service: its name, the variable that names it, an example value and its default port, the
 * describe helper of its suites. A service with `locate` is a program found on this machine
 * (`locate(env)`: its path, or null) rather than a server named by its variable.
 */
const TEST_SERVICES = [
  { name: 'Redis', variable: 'REDIS_URL', example: 'redis://127.0.0.1:6379', defaultPort: 6379, helper: 'describeWithRedis' },
  {
    name: 'Chromium',
    variable: 'CHROMIUM_PATH',
    example: '/usr/bin/chromium',
    helper: 'describeWithChromium',
    locate: locateChromium,
    missing: 'no Chromium was found (CHROMIUM_PATH, /usr/bin/chromium, or Playwright’s download)',
    remedy: 'install it (`apt-get install chromium`, or `npx playwright-core install chromium`) or set CHROMIUM_PATH',
  },
];

/** Where the tests find a service's URL. */
const testVariable = (service) => `PLANGRAPH_TEST_${service.variable}`;

/** Every `*.test.ts` under the given folders. */
function testFiles(roots) {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(full);
      else if (entry.isFile() && entry.name.endsWith('.test.ts')) files.push(full);
    }
  };
  for (const root of roots) if (fs.existsSync(root)) walk(root);
  return files.sort();
}

/** Tests (`it`, `test`, each row of `it.each([...])`) inside the `helper(...)` blocks of a source file. */
function testsInside(source, helper, ts) {
  const file = ts.createSourceFile('suite.ts', source, ts.ScriptTarget.Latest, true);
  const rootName = (node) => {
    while (ts.isPropertyAccessExpression(node)) node = node.expression;
    return ts.isIdentifier(node) ? node.text : null;
  };
  const isTestName = (node) => ['it', 'test'].includes(rootName(node));
  const count = (node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (ts.isCallExpression(callee) && ts.isPropertyAccessExpression(callee.expression) && isTestName(callee.expression)) {
        const rows = callee.arguments[0];
        return rows && ts.isArrayLiteralExpression(rows) ? rows.elements.length : 1;
      }
      if (isTestName(callee) && !(ts.isPropertyAccessExpression(callee) && callee.name.text === 'each')) return 1;
    }
    let total = 0;
    ts.forEachChild(node, (child) => {
      total += count(child);
    });
    return total;
  };
  let total = 0;
  const visit = (node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === helper) {
      total += node.arguments.reduce((sum, argument) => sum + count(argument), 0);
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return total;
}

/** The suites among `files` that use the service's describe helper, with the number of tests in those blocks. */
function suitesNeeding(service, files, ts) {
  const suites = [];
  for (const file of files) {
    const source = fs.readFileSync(file, 'utf8');
    if (!source.includes(`${service.helper}(`)) continue;
    const tests = testsInside(source, service.helper, ts);
    if (tests > 0) suites.push({ file, tests });
  }
  return suites;
}

/** Where a service URL points, without the credentials it may hold. */
function hostAndPort(service, url) {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || service.defaultPort) };
}

/** Resolves when a TCP connection to the service opens; rejects with a message that names no credentials. */
function reachable(service, url, timeoutMs = 3000) {
  const { host, port } = hostAndPort(service, url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (reason) => {
      socket.destroy();
      reject(new Error(`${service.variable} is set, but ${service.name} at ${host}:${port} cannot be reached (${reason})`));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer in ${timeoutMs} ms`));
    socket.once('error', (error) => fail(error.code ?? error.message));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
  });
}

module.exports = { TEST_SERVICES, testVariable, testFiles, testsInside, suitesNeeding, reachable, locateChromium };
