/** SQL on `provider.credential_key` that several use cases need (policy sync, endpoint rules, provider assignment). */
import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../../../common/sql';

/** True when an ACTIVE key on the provider has the policy applied. */
export async function liveKeysUse(em: EntityManager, providerId: string, policyId: string): Promise<boolean> {
  const rows = await query<{ used: boolean }>(
    em,
    `select exists (select 1 from provider.credential_key where provider_id = ? and status = 'ACTIVE' and policy_ids @> array[?]::text[]) as used`,
    [providerId, policyId],
  );
  return Boolean(rows[0]?.used);
}
