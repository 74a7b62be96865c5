import { TykTestServer } from '../../test/tyk/server';
import { bearer, must, mutateId } from '../lib/graphql';
import { mapLimit } from '../lib/stats';
import type { Scenario } from '../lib/types';

/**
 * 1,000 edits of one plan through the gateway, then the time until the Tyk-compatible test server
 * holds the final policy, and how many Tyk policy writes the edits caused (sync jobs coalesce per
 * plan through their job key, and a job writes only when the policy differs).
 */
export const providerSync: Scenario = {
  name: 'provider-sync',
  description: '1,000 plan edits: time until the Tyk test server holds the final policy, and the Tyk writes they caused.',
  async run({ platform, seed, options, log }) {
    const edits = options.quick ? 100 : 1000;
    const tyk = await TykTestServer.start();
    try {
      const url = platform.gatewayUrl;
      const mfaAdmin = bearer({ ...seed.admin, amr: ['pwd', 'mfa'] });
      await mutateId(url, mfaAdmin, 'registerProvider', 'RegisterProviderInput', 'provider', {
        name: `bench-tyk-${Date.now()}`,
        kind: 'TYK_GATEWAY',
        baseUrl: tyk.url,
        secret: tyk.secret,
        tykOrgId: tyk.orgId,
        makeDefault: true,
      });
      const planId = await mutateId(url, seed.adminAuth, 'createPlan', 'CreatePlanInput', 'plan', {
        name: `bench-sync-${Date.now()}`,
        displayName: 'Sync benchmark',
        catalogIds: [seed.catalogId],
        status: 'PUBLISHED',
        quota: { requests: 100000, period: 'MONTH' },
        rateLimit: { requests: 1, perSeconds: 1 },
      });
      const policyId = `pg-plan-${planId.replace(/-/g, '').toLowerCase()}`;
      const policyRate = () => (tyk.policies().find((p) => (p as { id?: string }).id === policyId) as { rate?: number } | undefined)?.rate;
      const waitFor = async (check: () => boolean, timeoutMs: number, what: string) => {
        const deadline = Date.now() + timeoutMs;
        while (!check()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      await waitFor(() => policyRate() === 1, 60_000, 'the first policy');
      const isWrite = (r: { method: string; path: string; body: unknown }) =>
        r.path.startsWith('/tyk/policies') &&
        ['POST', 'PUT', 'DELETE'].includes(r.method) &&
        (r.path.endsWith(policyId) || (r.body as { id?: string } | undefined)?.id === policyId);
      const writesBefore = tyk.history.filter(isWrite).length;

      log(`provider-sync: ${edits} edits`);
      const started = performance.now();
      await mapLimit(
        Array.from({ length: edits }, (_, i) => i),
        4,
        (i) =>
          must(
            url,
            `mutation($i: UpdatePlanInput!) { updatePlan(input: $i) { errors { code } } }`,
            { i: { id: planId, rateLimit: { requests: 2 + i, perSeconds: 1 } } },
            seed.adminAuth,
          ),
      );
      const editsDone = performance.now();
      const final = await must<{ plan: { rateLimit: { requests: number }; version: number } }>(
        url,
        `query($id: ID!) { plan(id: $id) { version rateLimit { requests } } }`,
        { id: planId },
        seed.adminAuth,
      );
      const target = final.plan.rateLimit.requests;
      await waitFor(() => policyRate() === target, 120_000, 'the final policy');
      const converged = performance.now();
      const writes = tyk.history.filter(isWrite).length - writesBefore;
      const figures = {
        edits,
        finalVersion: final.plan.version,
        editSeconds: (editsDone - started) / 1000,
        convergeSecondsFromFirstEdit: (converged - started) / 1000,
        convergeSecondsAfterLastEdit: (converged - editsDone) / 1000,
        tykPolicyWrites: writes,
        policies: tyk.policies().filter((p) => (p as { id?: string }).id === policyId).length,
      };
      const markdown = [
        '| edits | edit time s | converged after first edit s | after last edit s | Tyk writes of the policy | copies of the policy |',
        '| --- | --- | --- | --- | --- | --- |',
        `| ${edits} | ${figures.editSeconds.toFixed(1)} | ${figures.convergeSecondsFromFirstEdit.toFixed(1)} | ${figures.convergeSecondsAfterLastEdit.toFixed(2)} | ${writes} | ${figures.policies} |`,
        '',
        `Edits ran 4 at a time through the gateway (each a new plan version, v${final.plan.version} at the end); sync jobs share the job key \`plan:<id>\`, so queued edits coalesce and each job writes only when the policy differs.`,
      ].join('\n');
      const warnings = figures.policies === 1 ? [] : [`expected exactly one policy, found ${figures.policies}`];
      return { figures, markdown, warnings };
    } finally {
      await tyk.stop();
    }
  },
};
