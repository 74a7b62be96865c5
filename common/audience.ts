import { readRows } from './rows';
import type { SubgraphContext } from './server';

const memo = new WeakMap<object, Promise<ReadonlySet<string>>>();

/**
 * The catalogs the caller may see, decided from published views only: every PUBLIC catalog,
 * plus PRIVATE catalogs whose audience names an ACTIVE organization the caller belongs to or a
 * team (of an ACTIVE organization) the caller is in. Anonymous callers get the public ones.
 * Portal admins see everything and need no lookup: check `caller.isPortalAdmin` first.
 *
 * One SQL statement per request (memoised on the context). The products and plans subgraphs both
 * filter by it, so the rule lives here once rather than twice.
 */
export function visibleCatalogIds(context: SubgraphContext): Promise<ReadonlySet<string>> {
  let found = memo.get(context);
  if (!found) {
    found = loadVisibleCatalogIds(context);
    memo.set(context, found);
  }
  return found;
}

async function loadVisibleCatalogIds(context: SubgraphContext): Promise<ReadonlySet<string>> {
  const subject = context.caller.subject;
  const rows = subject
    ? await readRows<{ id: string }>(
        context.em,
        `select c.id from products.catalog_contract c where c.visibility = 'PUBLIC'
         union
         select a.catalog_id from products.catalog_audience_contract a
           join developers.membership_contract m on m.organization_id = a.organization_id
          where m.subject = $1 and m.organization_status = 'ACTIVE'
         union
         select a.catalog_id from products.catalog_audience_contract a
           join developers.team_membership_contract t on t.team_id = a.team_id
          where t.subject = $1 and t.organization_status = 'ACTIVE'`,
        [subject],
      )
    : await readRows<{ id: string }>(context.em, `select c.id from products.catalog_contract c where c.visibility = 'PUBLIC'`);
  return new Set(rows.map((row) => row.id));
}

export interface HeldGrants {
  planIds: ReadonlySet<string>;
  productIds: ReadonlySet<string>;
}

const heldMemo = new WeakMap<object, Promise<HeldGrants>>();

/**
 * Plans and products the caller's organizations hold credentials or access requests for (from
 * the developers subgraph's published views). Entity references resolve these even when they are
 * no longer in a visible catalog (an archived plan, an unpublished product), so an organization's
 * credentials and entitlements keep showing what they grant. One SQL statement per request.
 */
export function heldGrants(context: SubgraphContext): Promise<HeldGrants> {
  let found = heldMemo.get(context);
  if (!found) {
    found = loadHeldGrants(context);
    heldMemo.set(context, found);
  }
  return found;
}

async function loadHeldGrants(context: SubgraphContext): Promise<HeldGrants> {
  const subject = context.caller.subject;
  if (!subject) return { planIds: new Set(), productIds: new Set() };
  const rows = await context.em.getConnection().execute<{ plan_id: string; product_ids: string[] }[]>(
    `select g.plan_id, g.product_ids from (
       select c.plan_id, c.product_ids, c.organization_id from developers.credential_contract c
       union all
       select a.plan_id, a.product_ids, a.organization_id from developers.access_request_contract a
     ) g join developers.membership_contract m on m.organization_id = g.organization_id
     where m.subject = ?`,
    [subject],
  );
  const planIds = new Set<string>();
  const productIds = new Set<string>();
  for (const row of rows) {
    planIds.add(row.plan_id);
    for (const id of row.product_ids ?? []) productIds.add(id);
  }
  return { planIds, productIds };
}

/**
 * The apps of an organization a MEMBER may not see, as SQL over the developers subgraph's
 * published `app_contract` and `team_membership_contract` (its rule: a member sees ORGANIZATION
 * apps, their own PERSONAL apps and TEAM apps of their teams); `?` placeholders: organization id,
 * subject, subject. ORG_ADMINs and portal admins see every app. An app that no longer exists
 * hides nothing.
 */
export const HIDDEN_APPS_SQL = `select a.id from developers.app_contract a
   where a.organization_id = ? and not (a.visibility = 'ORGANIZATION' or a.created_by = ?
     or (a.visibility = 'TEAM' and a.team_id in (select t.team_id from developers.team_membership_contract t where t.subject = ?)))`;
