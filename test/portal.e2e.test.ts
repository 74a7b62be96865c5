import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { processConfig } from '../common/config';
import { projectRoot } from '../scripts/paths';
import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { startPortalServer, type RunningPortal } from '../scripts/portal-server';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, type Identity } from './helpers/graphql';
import { describeWithChromium } from './helpers/services';
import { unique } from './helpers/db';
import { waitFor } from './helpers/wait';
import { Fixtures } from './helpers/fixtures';
import { postAnalytics } from './kit/usage';
import { announceQuotaStatus } from './kit/quota-status';
import { TykTestServer, type AnalyticsRow } from './tyk/server';
import { freePort } from './helpers/ports';
import { startOpenIdProvider, type TestOpenIdProvider } from './oidc/provider';

/**
 * The reference portal (portal/) in headless Chromium, against the real platform through the
 * gateway, the Tyk test server as the provider, and the portal's own server (scripts/portal-server.ts)
 * serving a fresh Vite build. A developer browses the catalogue, compares plans, signs in with a
 * development token, registers an app, requests access, copies the key shown once, and watches the
 * quota meter move within a second of each ingest, pushed by `quotaStatusChanged` (no quota query
 * after the page's first), until the 80 % warning streams in. A portal
 * admin sees a new access request arrive in the approvals queue without a reload, approves it and an
 * organization request, previews the impact of a smaller quota and proposes it (limit changes need a
 * second admin here: PLAN_CHANGE_APPROVAL=required); the proposer may not approve it, a second
 * admin does. People also sign in with OpenID Connect at a real OpenID provider, through a second
 * gateway that trusts its keys (see the nested describe). axe-core checks every page (no serious or critical
 * violation). With UPDATE_SCREENSHOTS=1 the meter's screenshot replaces docs/images/quota-meter.png.
 */
describeWithChromium('the reference portal in a browser', (chromiumPath) => {
  const root = projectRoot();
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  /** Limit changes need a second portal admin (PLAN_CHANGE_APPROVAL=required). */
  const secondAdmin = portalAdmin();
  const alice = developer(unique('alice'));
  const bob = developer(unique('bob'));
  const rows: AnalyticsRow[] = [];
  let fed = 0;
  let platform: TestPlatform;
  let tyk: TykTestServer;
  let portal: RunningPortal;
  let browser: Browser;
  let distDir: string;
  let apiId: string;
  let productId: string;
  let meteredPlanId: string;
  let reviewedPlanId: string;
  let bobOrg: string;
  const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

  async function gql(query: string, variables: Record<string, unknown>, identity: Identity = admin) {
    const response = await gatewayRequest(platform.gatewayUrl, query, variables, identity);
    if (response.errors?.length) throw new Error(JSON.stringify(response.errors));
    return response.data;
  }

  async function mutate(name: string, inputType: string, selection: string, input: Record<string, unknown>, identity: Identity = admin) {
    const data = await gql(
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${selection} errors { code field message } } }`,
      { i: input },
      identity,
    );
    if (data[name].errors.length) throw new Error(`${name}: ${JSON.stringify(data[name].errors)}`);
    return data[name];
  }

  /** No serious or critical accessibility violation on the page as it is now. */
  async function expectAccessible(page: Page, what: string) {
    // Evaluated through the DevTools protocol: the portal's content security policy allows no inline script.
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map((v: any) => ({
        id: v.id,
        impact: v.impact,
        nodes: v.nodes.map((n: any) => n.target.join(' ')).slice(0, 3),
      }));
    });
    expect({ page: what, violations: violations.filter((v: any) => v.impact === 'serious' || v.impact === 'critical') }).toEqual({
      page: what,
      violations: [],
    });
  }

  /** Signs in on a new page (its own tab session), then opens `then` when given. */
  async function signIn(context: BrowserContext, subject: string, asAdmin: boolean, then?: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${portal.url}sign-in`);
    await page.getByLabel('Subject').fill(subject);
    if (asAdmin) await page.getByLabel('Portal admin').check();
    if (!then) await expectAccessible(page, 'sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('banner').getByText(subject, { exact: true }).waitFor();
    if (then) await page.goto(`${portal.url}${then}`);
    return page;
  }

  /** The meter's text, e.g. "3 of 10 requests used". */
  const meterText = (page: Page) => page.getByRole('meter', { name: 'Quota used' }).getAttribute('aria-valuetext');

  beforeAll(async () => {
    distDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-dist-'));
    // The portal as `npm run build` builds it, into a directory of this run's own.
    execFileSync(
      process.execPath,
      [
        path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
        'build',
        '--config',
        'portal/vite.config.mts',
        '--outDir',
        distDir,
        '--logLevel',
        'warn',
      ],
      { cwd: root, stdio: 'pipe', env: { ...process.env, NODE_ENV: 'production' } },
    );
    [platform, tyk, browser] = await Promise.all([
      startPlatform({ envOf: { plans: { PLAN_CHANGE_APPROVAL: 'required' } } }),
      TykTestServer.start({ onAnalytics: (row) => void rows.push(row) }),
      chromium.launch({ executablePath: chromiumPath, headless: true }),
    ]);
    const jwt = processConfig('npm start').jwtKeys;
    portal = await startPortalServer({
      host: '127.0.0.1',
      port: 0,
      distDir,
      gatewayUrl: platform.gatewayUrl,
      oidc: null,
      devTokens: { secret: jwt.secret!, issuer: jwt.issuer, audience: jwt.audience },
    });

    // The catalogue: one API in Tyk, a plan that approves at once (10 requests an hour) and one an admin
    // reviews, each published by one admin and approved by another.
    const seed = new Fixtures(platform.gatewayUrl, admin);
    const providerId = await seed.provider(tyk);
    const catalogId = await seed.catalog();
    apiId = unique('weather');
    tyk.addApi({ apiId, listenPath: `/${apiId}/` });
    productId = await seed.product({ slug: unique('weather'), displayName: 'Weather API', tykApiIds: [apiId], catalogIds: [catalogId] });
    meteredPlanId = await seed.plan({
      displayName: 'Metered',
      catalogIds: [catalogId],
      tier: 1,
      quota: { requests: 10, period: 'HOUR' },
      rateLimit: null,
      autoApprove: true,
      jwtScopes: ['weather:read'],
      status: 'DRAFT',
    });
    reviewedPlanId = await seed.plan({
      displayName: 'Reviewed',
      catalogIds: [catalogId],
      tier: 2,
      quota: { requests: 1000, period: 'DAY' },
      rateLimit: { requests: 5, perSeconds: 1 },
      autoApprove: false,
      keyExpiresAfterSeconds: 90 * 86_400,
      status: 'DRAFT',
    });
    for (const id of [meteredPlanId, reviewedPlanId]) {
      const proposal = await mutate('proposePlanChange', 'ProposePlanChangeInput', 'changeRequest { id }', {
        id,
        changes: { status: 'PUBLISHED' },
        reason: 'launch',
      });
      await mutate('approvePlanChange', 'ApprovePlanChangeInput', 'changeRequest { id }', { id: proposal.changeRequest.id }, secondAdmin);
    }
    for (const subject of [{ planId: meteredPlanId }, { planId: reviewedPlanId }, { productId }]) {
      await mutate('assignProvider', 'AssignProviderInput', '__typename', { ...subject, providerId });
    }
    await seed.organization(alice.sub, { name: 'Alice Co' });
    bobOrg = await seed.organization(bob.sub, { name: 'Bob Co' });
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
    await platform?.stop();
    await tyk?.stop();
    if (distDir) fs.rmSync(distDir, { recursive: true, force: true });
  });

  it('serves the portal, its settings and development tokens', async () => {
    const config = await (await fetch(`${portal.url}config.json`)).json();
    expect(config).toEqual({
      gatewayUrl: platform.gatewayUrl,
      gatewayWsUrl: platform.gatewayUrl.replace(/^http/, 'ws'),
      oidc: null,
      devSignIn: true,
      rolesClaim: 'roles',
    });
    const deep = await fetch(`${portal.url}apps/some-app`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<div id="root">');
    // Bad subjects and roles other than portal_admin are refused.
    for (const body of [{ subject: 'a b' }, { subject: 'x'.repeat(65) }, { subject: 'eve', roles: ['service'] }]) {
      const refused = await fetch(`${portal.url}dev-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(refused.status).toBe(400);
    }
  });

  it('developer journey: browse, compare, request, copy the key shown once, watch the meter move and the 80 % warning arrive', async () => {
    const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    try {
      // Anonymous: the catalogue and the plan comparison.
      const page = await context.newPage();
      await page.goto(portal.url);
      await page.getByRole('heading', { name: 'API catalogue' }).waitFor();
      await page.getByRole('link', { name: 'Weather API' }).waitFor();
      await expectAccessible(page, 'catalogue');
      await page.getByRole('link', { name: 'Weather API' }).click();
      const table = page.getByRole('table');
      await table.getByRole('columnheader', { name: /Metered/ }).waitFor();
      expect(await table.getByRole('row', { name: /^Quota \d/ }).innerText()).toMatch(/10 requests \/ 1 hour\s+1,000 requests \/ 1 day/);
      expect(await table.getByRole('row', { name: /^Key lifetime/ }).innerText()).toMatch(/never expires\s+3 months/);
      expect(await table.getByRole('row', { name: /^Scopes/ }).innerText()).toContain('weather:read');
      await expectAccessible(page, 'plan comparison');
      await page.close();

      // Alice signs in, registers an app, and requests the Metered plan from the comparison table.
      const dev = await signIn(context, alice.sub, false);
      // What the page asks the API and what its graphql-ws socket receives: the meter reads the
      // quota once, then only listens (no `Credential.quota` polling).
      const quotaQueries: number[] = [];
      dev.on('request', (request) => {
        if (request.method() === 'POST' && (request.postData() ?? '').includes('PortalCredentialQuota'))
          quotaQueries.push(performance.now());
      });
      const pushes: string[] = [];
      dev.on('websocket', (socket) => socket.on('framereceived', ({ payload }) => void pushes.push(String(payload))));
      await dev.getByRole('heading', { name: 'Alice Co' }).waitFor();
      await dev.getByLabel('App name').fill('Forecast app');
      await dev.getByRole('button', { name: 'Register app' }).click();
      await dev.getByRole('link', { name: 'Forecast app' }).waitFor();
      await expectAccessible(dev, 'apps');
      await dev.getByRole('link', { name: 'Catalogue' }).click();
      await dev.getByRole('link', { name: 'Weather API' }).click();
      await dev.getByRole('link', { name: 'Request Metered' }).click();
      await dev.getByRole('button', { name: 'Request access' }).click();
      const keyPanel = dev.getByRole('region', { name: 'Your new API key' });
      const secret = (await keyPanel.locator('code[data-secret]').innerText()).trim();
      expect(secret).toMatch(/^pgk_[A-Za-z0-9]{40,}$/);
      await keyPanel.getByRole('button', { name: 'Copy key' }).click();
      await dev.getByRole('button', { name: /Copied/ }).waitFor();
      expect(await dev.evaluate(() => navigator.clipboard.readText())).toBe(secret);
      await expectAccessible(dev, 'request access with the key shown once');

      // The key's page: the meter before any traffic.
      await dev.getByRole('link', { name: /Watch this key/ }).click();
      await dev.getByRole('heading', { name: 'Quota' }).waitFor();
      await waitFor(async () => (await meterText(dev)) === '0 of 10 requests used', { timeoutMs: 10_000, what: 'the empty meter' });

      // Traffic through the Tyk test server with the key Alice copied; its analytics rows are ingested.
      const credentialId = new URL(dev.url()).pathname.split('/').pop()!;
      await waitFor(
        async () => {
          const [row] = await platform.subgraphs
            .usage!.orm.em.getConnection()
            .execute<{ key_hash: string }[]>(
              `select key_hash from provider.credential_key_contract where credential_id = ? and status = 'ACTIVE'`,
              [credentialId],
            );
          return row && tyk.keySession(row.key_hash);
        },
        { timeoutMs: 20_000, intervalMs: 100, what: 'the key in the Tyk test server' },
      );
      // The meter's subscription is live once a probe reached the page: an announcement of the
      // counter as it is (0 used, the window not started), which leaves the meter as it was.
      const usage = platform.subgraphs.usage!;
      await waitFor(
        async () => {
          if (pushes.some((frame) => frame.includes('quotaStatusChanged'))) return true;
          await announceQuotaStatus(usage.orm.em.fork(), usage.pubsub, credentialId, {
            used: 0,
            limit: 10,
            windowStart: new Date(Date.UTC(2020, 0, 1)),
            resetsAt: new Date(Date.UTC(2020, 0, 1, 1)),
          });
          return false;
        },
        { timeoutMs: 15_000, intervalMs: 200, what: 'the meter’s quota subscription to be live' },
      );
      expect(await meterText(dev)).toBe('0 of 10 requests used');
      const queriesBefore = quotaQueries.length;
      expect(queriesBefore).toBeGreaterThanOrEqual(1);
      const call = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const response = await fetch(`${tyk.url}/${apiId}/forecast`, { headers: { authorization: secret } });
          expect(response.status).toBe(200);
          await response.arrayBuffer();
        }
        const batch = rows.slice(fed);
        fed = rows.length;
        const { status, body } = await postAnalytics(platform.subgraphs.usage!.url, batch);
        expect(status).toBe(200);
        expect(body).toMatchObject({ accepted: n, rejected: [] });
        return performance.now();
      };
      /** How long after the ingest answered the meter showed `text`. */
      const meterMoves = async (text: string, since: number) => {
        await dev.waitForFunction((want) => document.querySelector('[role=meter]')?.getAttribute('aria-valuetext') === want, text, {
          timeout: 5000,
          polling: 20,
        });
        return performance.now() - since;
      };

      const moved: number[] = [];
      moved.push(await meterMoves('3 of 10 requests used', await call(3)));
      moved.push(await meterMoves('5 of 10 requests used', await call(2)));
      // 8 of 10: the 80 % warning streams in over quotaWarnings.
      moved.push(await meterMoves('8 of 10 requests used', await call(3)));
      for (const ms of moved) expect(ms).toBeLessThan(1000);
      // Pushed, not polled: no quota query since the page's first read.
      expect(quotaQueries.length).toBe(queriesBefore);
      const warnings = dev.getByRole('log', { name: 'Quota warnings' });
      await warnings.getByText('80 % of the quota used').waitFor({ timeout: 5000 });
      const facts = await dev.locator('.meter-facts').innerText();
      expect(facts).toMatch(/Remaining\s+2/);
      expect(facts).toMatch(/Resets in\s+(59 min|1 h)/);
      expect(facts).toMatch(/Burn rate\s+[\d,.]+ \/ hour/);
      await expectAccessible(dev, 'credential quota meter with a warning');

      const panel = dev.locator('.meter-panel');
      const shot = await panel.screenshot({ type: 'png' });
      expect(shot.subarray(1, 4).toString()).toBe('PNG');
      if (process.env.UPDATE_SCREENSHOTS === '1') fs.writeFileSync(path.join(root, 'docs', 'images', 'quota-meter.png'), shot);

      // The usage chart counts the same requests; entitlements list the key.
      await dev.getByText('Requests in the last hour: 8').waitFor({ timeout: 5000 });
      await dev.getByRole('link', { name: 'Entitlements' }).click();
      await dev.getByRole('cell', { name: 'Forecast app' }).waitFor();
      await expectAccessible(dev, 'entitlements');
      await dev.getByRole('link', { name: 'Organizations' }).click();
      await dev.getByRole('table', { name: 'Members of Alice Co' }).waitFor();
      // Alice administers Alice Co: she invites a colleague.
      const invite = dev.getByRole('form', { name: 'Invite someone to Alice Co' });
      await invite.getByLabel('Invite by email').fill('carol@example.test');
      await invite.getByRole('button', { name: 'Invite' }).click();
      await invite.getByText(/Invited carol@example.test until/).waitFor();
      // Asking for a second organization (a portal admin approves it in the admin journey).
      await dev.getByLabel('Name', { exact: true }).fill('Alice Labs');
      await dev.getByRole('button', { name: 'Ask for it' }).click();
      await dev.getByText('Asked for Alice Labs: waiting for a portal admin.').waitFor();
      await dev.getByRole('heading', { name: /Alice Labs PENDING/ }).waitFor();
      await expectAccessible(dev, 'organizations');
    } finally {
      await context.close();
    }
  });

  it('admin journey: a new request arrives in the approvals queue without a reload and is approved; a plan change is previewed, proposed and approved by a second admin', async () => {
    const context = await browser.newContext();
    try {
      const page = await signIn(context, admin.sub, true);
      await page.getByRole('heading', { name: 'Approvals' }).waitFor();
      await page.getByText('No access request is waiting.').waitFor();
      await expectAccessible(page, 'approvals');

      const request = async () => {
        const app = await mutate(
          'createApp',
          'CreateAppInput',
          'app { id name }',
          { organizationId: bobOrg, name: unique('bob-app') },
          bob,
        );
        const access = await mutate(
          'requestAccess',
          'RequestAccessInput',
          'accessRequest { id status }',
          { appId: app.app.id, planId: reviewedPlanId, productIds: [productId] },
          bob,
        );
        expect(access.accessRequest.status).toBe('PENDING');
        return {
          appId: app.app.id as string,
          appName: app.app.name as string,
          requestId: access.accessRequest.id as string,
          at: performance.now(),
        };
      };
      // The queue's subscription is live once an event has reached the page (only an event announces a new request).
      await waitFor(
        async () => {
          await request();
          return page
            .getByText('A new access request arrived.')
            .waitFor({ timeout: 1500 })
            .then(() => true)
            .catch(() => false);
        },
        { timeoutMs: 15_000, intervalMs: 0, what: 'the approvals queue to be live' },
      );

      const fresh = await request();
      const card = page.getByRole('listitem', { name: `${fresh.appName} asks for Reviewed` });
      await card.waitFor({ timeout: 3000 });
      expect(performance.now() - fresh.at).toBeLessThan(2000);
      await card.getByRole('button', { name: 'Approve' }).click();
      await card.waitFor({ state: 'detached', timeout: 5000 });
      const decided = await gql(`query($id: ID!) { accessRequest(id: $id) { status credential { status } } }`, { id: fresh.requestId });
      expect(decided.accessRequest).toEqual({ status: 'APPROVED', credential: { status: 'ACTIVE' } });

      // Bob reveals the approved key once, on his app's page (a context, so a session, of his own).
      const bobContext = await browser.newContext();
      try {
        const bobPage = await signIn(bobContext, bob.sub, false, `apps/${fresh.appId}`);
        await bobPage.getByRole('heading', { name: fresh.appName }).waitFor();
        await expectAccessible(bobPage, 'app');
        await bobPage.getByRole('button', { name: 'Reveal key once' }).click();
        const revealed = (await bobPage.getByRole('region', { name: 'Your new API key' }).locator('code[data-secret]').innerText()).trim();
        expect(revealed).toMatch(/^pgk_[A-Za-z0-9]{40,}$/);
        await bobPage.getByRole('button', { name: 'Reveal key once' }).waitFor({ state: 'detached' });
        await bobPage.reload();
        await bobPage.getByRole('heading', { name: 'Credentials' }).waitFor();
        expect(await bobPage.getByRole('button', { name: 'Reveal key once' }).count()).toBe(0);
        expect(await bobPage.getByText(revealed).count()).toBe(0);
      } finally {
        await bobContext.close();
      }

      // Alice's organization request (developer journey) waits here too.
      await page.getByRole('button', { name: 'Approve Alice Labs' }).click();
      await page.getByRole('button', { name: 'Approve Alice Labs' }).waitFor({ state: 'detached', timeout: 5000 });
      const orgs = await gql(`query { organizations(filter: { search: "Alice Labs" }, first: 5) { edges { node { status } } } }`, {});
      expect(orgs.organizations.edges).toEqual([{ node: { status: 'ACTIVE' } }]);

      // The plan editor: preview the impact of a smaller quota; saving it needs a second admin's approval.
      await page.getByRole('link', { name: 'Plans', exact: true }).click();
      await page.getByText('proposed change(s) wait for a second admin').waitFor();
      await expectAccessible(page, 'plans');
      await page.getByRole('link', { name: 'Reviewed' }).click();
      await page.getByRole('heading', { name: 'Edit Reviewed' }).waitFor();
      await page.getByLabel('Requests per period (blank: keep)').fill('500');
      await page.getByRole('button', { name: 'Preview impact' }).click();
      await page.getByRole('status').filter({ hasText: 'counters with traffic would have been limited' }).waitFor({ timeout: 10_000 });
      await expectAccessible(page, 'plan editor with the impact preview');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('heading', { name: 'A second admin must approve this change' }).waitFor();
      await page.getByLabel('Why change it?').fill('Fair use for the reviewed tier');
      await page.getByRole('button', { name: 'Propose change' }).click();
      const proposal = page.getByRole('article', { name: `Change proposed by ${admin.sub}` });
      await proposal.getByText('Fair use for the reviewed tier').waitFor();
      expect(await proposal.getByRole('listitem').filter({ hasText: 'quota' }).innerText()).toMatch(/"requests":1000.*→.*"requests":500/s);
      await proposal.getByText(/Impact: \d+ counter\(s\)/).waitFor();
      // The proposer cannot approve it; the second admin does, from their own session.
      await proposal.getByRole('button', { name: 'Approve change' }).click();
      await page.getByText(/SELF_APPROVAL_FORBIDDEN/).waitFor();
      const unchanged = await gql(`query($id: ID!) { plan(id: $id) { version quota { requests } } }`, { id: reviewedPlanId });
      expect(unchanged.plan).toEqual({ version: 2, quota: { requests: 1000 } });
      const second = await signIn(context, secondAdmin.sub, true, `admin/plans/${reviewedPlanId}`);
      const pending = second.getByRole('article', { name: `Change proposed by ${admin.sub}` });
      await pending.getByRole('button', { name: 'Approve change' }).click();
      await pending.waitFor({ state: 'detached', timeout: 5000 });
      const plan = await gql(`query($id: ID!) { plan(id: $id) { version quota { requests period } } }`, { id: reviewedPlanId });
      expect(plan.plan).toEqual({ version: 3, quota: { requests: 500, period: 'DAY' } });
      await second.close();

      await page.getByRole('link', { name: 'Sync', exact: true }).click();
      await page
        .getByRole('table', { name: 'Plans' })
        .getByRole('row', { name: /Reviewed/ })
        .waitFor();
      await expectAccessible(page, 'sync status');
    } finally {
      await context.close();
    }
  });

  /**
   * OpenID Connect sign-in against a real OpenID provider (oidc-provider, test/oidc/server.mjs) that
   * knows the portal as a public client (authorization code, PKCE required) and signs people in with
   * its login form. A second gateway in front of the same subgraphs trusts the provider's keys
   * (JWT_JWKS_URL, its issuer, the API's audience); a second portal server sends people there.
   */
  describe('OpenID Connect sign-in', () => {
    const clientId = 'plangraph-portal';
    const resource = 'https://api.plangraph.test';
    const ada = unique('ada');
    const grace = unique('grace');
    const orgName = `Ada Labs ${ada.slice(-6)}`;
    let op: TestOpenIdProvider;
    let oidcPortal: RunningPortal;
    let authorizationEndpoint: string;
    let oidcGatewayUrl: string;
    let adaToken: string;

    beforeAll(async () => {
      // The provider must know the portal's redirect URI before the portal, which must know the provider, starts.
      const port = await freePort();
      const origin = `http://127.0.0.1:${port}`;
      op = await startOpenIdProvider({
        scopes: [],
        initialAccessToken: unique('iat'),
        resource,
        browserClient: { client_id: clientId, redirect_uris: [`${origin}/oidc-callback`], post_logout_redirect_uris: [`${origin}/`] },
        accountRoles: { [grace]: ['portal_admin'] },
      });
      const discovery = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
      authorizationEndpoint = discovery.authorization_endpoint;
      const gateway = await platform.extraGateway({
        ...process.env,
        JWT_JWKS_URL: discovery.jwks_uri,
        JWT_ISSUER: op.issuer,
        JWT_AUDIENCE: resource,
      });
      oidcGatewayUrl = gateway.url;
      oidcPortal = await startPortalServer({
        host: '127.0.0.1',
        port,
        distDir,
        gatewayUrl: gateway.url,
        oidc: { issuer: op.issuer, clientId },
        devTokens: null,
      });
    });

    afterAll(async () => {
      await oidcPortal?.stop();
      await op?.stop();
    });

    /** A browser context that reaches only this machine (the provider's pages import web fonts). */
    async function localContext(): Promise<BrowserContext> {
      const context = await browser.newContext();
      await context.route(
        (url) => url.hostname !== '127.0.0.1' && url.hostname !== 'localhost',
        (route) => route.abort(),
      );
      return context;
    }

    const signInButton = (page: Page) => page.getByRole('button', { name: `Sign in with ${new URL(op.issuer).host}` });

    /** Signs in at the provider's login form from the portal's sign-in page; back on the portal's Apps page. */
    async function oidcSignIn(page: Page, login: string) {
      await page.goto(`${oidcPortal.url}sign-in`);
      await signInButton(page).click();
      await page.getByPlaceholder('Enter any login').fill(login);
      await page.getByPlaceholder('and password').fill('any password');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.waitForURL(`${oidcPortal.url}apps`);
      await page.getByRole('banner').getByText(login, { exact: true }).waitFor();
    }

    const storedToken = (page: Page) => page.evaluate(() => sessionStorage.getItem('plangraph.session'));

    it('signs a developer in at the provider (PKCE), the API knows her by that identity, a portal admin by its roles; sign-out ends the provider session too', async () => {
      const context = await localContext();
      try {
        const page = await context.newPage();
        const authorizations: URL[] = [];
        const callbacks: string[] = [];
        page.on('request', (request) => {
          const url = new URL(request.url());
          if (`${url.origin}${url.pathname}` === authorizationEndpoint) authorizations.push(url);
          if (request.isNavigationRequest() && request.url().startsWith(`${oidcPortal.url}oidc-callback`)) callbacks.push(request.url());
        });
        // The portal's settings and content security policy name the issuer, and only its origin.
        const served = await fetch(`${oidcPortal.url}sign-in`);
        const gatewayHost = new URL(oidcGatewayUrl).host;
        expect(served.headers.get('content-security-policy')).toContain(
          `connect-src 'self' http://${gatewayHost} ws://${gatewayHost} ${op.issuer};`,
        );
        expect(await (await fetch(`${oidcPortal.url}config.json`)).json()).toMatchObject({
          oidc: { issuer: op.issuer, clientId },
          devSignIn: false,
          rolesClaim: 'roles',
        });
        await page.goto(`${oidcPortal.url}sign-in`);
        await signInButton(page).waitFor();
        // Development sign-in is not offered beside a JWKS setup.
        expect(await page.getByLabel('Subject').count()).toBe(0);
        await expectAccessible(page, 'sign-in with OpenID Connect');
        await oidcSignIn(page, ada);

        // Authorization code with PKCE (S256) and a state, as a public client.
        expect(authorizations).toHaveLength(1);
        const asked = authorizations[0]!.searchParams;
        expect(
          Object.fromEntries(['response_type', 'client_id', 'redirect_uri', 'code_challenge_method'].map((k) => [k, asked.get(k)])),
        ).toEqual({
          response_type: 'code',
          client_id: clientId,
          redirect_uri: `${oidcPortal.url}oidc-callback`,
          code_challenge_method: 'S256',
        });
        expect(asked.get('code_challenge')).toMatch(/^[\w-]{43}$/);
        expect(asked.get('state')).toMatch(/\w{16,}/);
        expect(callbacks).toHaveLength(1);
        // The callback's code and state left the address bar and the history.
        expect(page.url()).toBe(`${oidcPortal.url}apps`);

        // The token sent to the gateway is the provider's JWT access token for the API.
        adaToken = (await storedToken(page))!;
        const claims = jwt.decode(adaToken) as jwt.JwtPayload;
        expect(claims).toMatchObject({ iss: op.issuer, aud: resource, sub: ada, client_id: clientId, roles: [] });

        // Through the gateway, the API knows her: she asks for an organization, as herself.
        await page.getByText('Apps belong to an organization').waitFor();
        await page.getByRole('link', { name: 'Organizations' }).click();
        await page.getByText('You do not belong to an organization yet').waitFor();
        await page.getByLabel('Name', { exact: true }).fill(orgName);
        await page.getByRole('button', { name: 'Ask for it' }).click();
        await page.getByText(`Asked for ${orgName}: waiting for a portal admin.`).waitFor();

        // Grace is a portal admin by the roles claim of her access token: the menu and the API agree.
        const admin = await (await localContext()).newPage();
        try {
          await oidcSignIn(admin, grace);
          await admin.getByRole('link', { name: 'Approvals' }).click();
          await admin.getByRole('button', { name: `Approve ${orgName}` }).click();
          await admin.getByRole('button', { name: `Approve ${orgName}` }).waitFor({ state: 'detached', timeout: 5000 });
        } finally {
          await admin.context().close();
        }
        await page.reload();
        const members = page.getByRole('table', { name: `Members of ${orgName}` });
        await members.getByRole('row', { name: `${ada} ORG_ADMIN` }).waitFor();
        await page.getByRole('heading', { name: `${orgName} ACTIVE` }).waitFor();

        // The callback once more (its code and state already used): refused, still signed in.
        await page.goto(callbacks[0]!);
        await page
          .getByRole('alert')
          .getByText('This sign-in was not started in this tab, or was already used (unknown state): sign in again.')
          .waitFor();
        await expectAccessible(page, 'a refused sign-in callback');

        // Signing out leaves the portal and the provider: the provider asks, then sends her back.
        await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
        await page.getByRole('button', { name: 'Yes, sign me out' }).click();
        await page.waitForURL(oidcPortal.url);
        await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor();
        expect(await page.evaluate(() => Object.keys(sessionStorage).filter((key) => key.startsWith('plangraph.')))).toEqual([]);
        // Signing in again asks for her login: the provider's session ended.
        await page.goto(`${oidcPortal.url}sign-in`);
        await signInButton(page).click();
        await page.getByPlaceholder('Enter any login').waitFor();
      } finally {
        await context.close();
      }
    });

    it('refuses a cancelled sign-in, a forged callback, an altered token and a token signed by another key, each saying why', async () => {
      const context = await localContext();
      try {
        const page = await context.newPage();
        // A callback this tab never started.
        await page.goto(`${oidcPortal.url}oidc-callback?code=forged&state=forged`);
        await page
          .getByRole('alert')
          .getByText('This sign-in was not started in this tab, or was already used (unknown state): sign in again.')
          .waitFor();
        expect(await storedToken(page)).toBeNull();

        // Cancelled at the provider: its refusal, in words.
        await page.goto(`${oidcPortal.url}sign-in`);
        await signInButton(page).click();
        await page.getByRole('link', { name: '[ Cancel ]' }).click();
        await page.getByRole('alert').getByText('The identity provider refused the sign-in: End-User aborted interaction.').waitFor();
        expect(await storedToken(page)).toBeNull();

        // Ada's token made to say she is someone else, a portal admin; and one signed by a key the
        // provider does not publish. The gateway refuses both; the portal says so and offers to sign in again.
        const [header, , signature] = adaToken.split('.');
        const claims = jwt.decode(adaToken) as jwt.JwtPayload;
        const altered = [
          header,
          Buffer.from(JSON.stringify({ ...claims, sub: grace, roles: ['portal_admin'] })).toString('base64url'),
          signature,
        ].join('.');
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const foreign = jwt.sign({ ...claims, sub: grace, roles: ['portal_admin'] }, privateKey, {
          algorithm: 'RS256',
          keyid: (jwt.decode(adaToken, { complete: true }) as jwt.Jwt).header.kid,
        });
        for (const token of [altered, foreign]) {
          await page.goto(`${oidcPortal.url}sign-in`);
          await page.evaluate((t) => sessionStorage.setItem('plangraph.session', t), token);
          await page.goto(`${oidcPortal.url}organizations`);
          const alert = page.getByRole('alert').filter({ hasText: 'The API did not accept your sign-in (Unauthenticated)' });
          await alert.waitFor();
          expect(await page.getByText(orgName).count()).toBe(0);
          await alert.getByRole('button', { name: 'Sign in again' }).click();
          await page.waitForURL(`${oidcPortal.url}sign-in`);
          expect(await storedToken(page)).toBeNull();
        }
      } finally {
        await context.close();
      }
    });
  });
});
