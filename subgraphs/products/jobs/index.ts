import type { EntityManager } from '@mikro-orm/postgresql';
import { announceCatalogueChange } from '../../../common/catalogue-changes';
import { JOB_TASKS } from '../../../common/jobs';
import type { JobRuntime } from '../../../common/server';
import { importActor, importProduct, parseProductImport } from './import-policy';

/** Job handlers of the products subgraph (graphile-worker). Each is idempotent. */
export function productsJobs(runtime: JobRuntime) {
  return {
    [JOB_TASKS.importProduct]: async (payload: unknown) => {
      const parsed = parseProductImport(payload, runtime.log);
      if (!parsed) return;
      await importProduct(runtime.orm.em.fork({ loggerContext: importActor() }) as EntityManager, parsed, runtime.log);
      // After the commit: the gateways' response caches drop what they hold (common/catalogue-changes.ts).
      await announceCatalogueChange(runtime, JOB_TASKS.importProduct);
    },
  };
}
