import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';

/**
 * Asks the provider to write a product's access policy, in the transaction of the change that
 * causes it; repeated changes of one product coalesce on the job key `product:<id>`.
 */
export async function enqueueProductSync(em: EntityManager, productIds: Iterable<string>): Promise<void> {
  for (const productId of new Set(productIds)) {
    await enqueueJob(em, JOB_TASKS.syncProduct, { productId }, { jobKey: `product:${productId}` });
  }
}
