import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { badInput } from '../../../common/errors';
import { keyValue } from '../../../common/key-value';
import { connectionType, lazy, PageArgs, PageInfo, pageSize, type ConnectionShape } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { CatalogRef, catalogRef } from '../entities/catalog-ref';
import { PlanSettingChange, PlanSettings, PlanVersion } from '../entities/plan-version';
import { isUuid } from '../../../common/ids';
import { shownCatalogIds } from '../contracts/products';
import { normalizeSettings } from '../services/settings';
import { accessRequestLimit, boostAllowance, rateLimit, usageQuota } from './plan.resolver';

export const PlanVersionConnection = connectionType(PlanVersion, 'PlanVersion', 'plan version');

function encodeCursor(version: number): string {
  return Buffer.from(`v:${version}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^v:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw badInput('after', 'The cursor is not valid: pass a `pageInfo.endCursor` from an earlier page.');
  return Number(match[1]);
}

@Resolver(() => PlanVersion)
export class PlanVersionResolver {
  @Query(() => PlanVersionConnection, {
    description:
      'The change history of a plan, newest version first: one immutable entry per create, update, publish, archive and rollback. Kept after a never-published plan is deleted; empty for ids no plan ever had. Portal admins only.',
  })
  async planVersions(
    @Arg('planId', () => ID, { description: 'The plan whose history to list.' }) planId: string,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: SubgraphContext,
  ): Promise<ConnectionShape<PlanVersion>> {
    context.caller.requirePortalAdmin();
    const id = planId.trim().toLowerCase();
    if (!isUuid(id)) throw badInput('planId', 'Give a plan id (a UUID from `Plan.id`).');
    const limit = pageSize(page.first);
    const before = page.after ? decodeCursor(page.after) : null;
    const rows = await context.em.find(PlanVersion, before === null ? { planId: id } : { planId: id, version: { $lt: before } }, {
      orderBy: { version: 'desc' },
      limit: limit + 1,
    });
    const edges = rows.slice(0, limit).map((node) => ({ cursor: encodeCursor(node.version), node }));
    return {
      edges,
      pageInfo: Object.assign(new PageInfo(), {
        hasNextPage: rows.length > limit,
        hasPreviousPage: Boolean(page.after),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      }),
      totalCount: lazy(() => context.em.count(PlanVersion, { planId: id })),
    };
  }

  @FieldResolver(() => PlanSettings, { description: 'The plan’s full settings after this change.' })
  settings(@Root() version: PlanVersion): PlanSettings {
    const s = normalizeSettings(version.settingsJson);
    return Object.assign(new PlanSettings(), {
      ...s,
      quota: usageQuota(s.quota),
      rateLimit: rateLimit(s.rateLimit),
      accessRequestLimit: accessRequestLimit(s.accessRequestLimit),
      boostAllowance: boostAllowance(s.boostAllowance),
      credentialMetadata: s.credentialMetadata.map((e) => keyValue(e.key, e.value)),
    });
  }

  @FieldResolver(() => [PlanSettingChange], {
    description:
      'The fields that differ from the previous version, with JSON-encoded values. For CREATED every field is listed with `before: null`.',
  })
  changes(@Root() version: PlanVersion): PlanSettingChange[] {
    return version.changesJson.map((c) => Object.assign(new PlanSettingChange(), { field: c.field, before: c.before, after: c.after }));
  }
}

@Resolver(() => PlanSettings)
export class PlanSettingsResolver {
  @FieldResolver(() => [CatalogRef], {
    description: 'The catalogs the plan was in (catalogs deleted since are left out; `changes` keeps their ids).',
  })
  async catalogs(@Root() settings: PlanSettings, @Ctx() context: SubgraphContext): Promise<CatalogRef[]> {
    return (await shownCatalogIds(context, settings.catalogIds)).map(catalogRef);
  }
}
