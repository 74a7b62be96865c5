import type { EntityManager } from '@mikro-orm/postgresql';
import { JOB_TASKS } from '../../../common/jobs';
import type { JobRuntime } from '../../../common/server';
import { importActor, importProduct, parseProductImport } from './import-policy';

/** Job handlers of the products subgraph (graphile-worker). Each is idempotent. */
export function productsJobs(runtime: JobRuntime) {
  return {
    [JOB_TASKS.importProduct]: async (payload: unknown) => {
      const parsed = parseProductImport(payload, runtime.log);
      if (parsed) await importProduct(runtime.orm.em.fork({ loggerContext: importActor() }) as EntityManager, parsed, runtime.log);
    },
  };
}
