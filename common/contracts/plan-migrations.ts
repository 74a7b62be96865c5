/**
 * The developers subgraph's published view `developers.plan_migration_contract`: which plan a
 * bulk plan migration moves credentials from and to (the usage subgraph's impact preview reads
 * it). Its row type and one reader, declared once; the owner checks the view's columns
 * (`subgraphs/developers/contracts.test.ts`).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../sql';

/** A row of `developers.plan_migration_contract`. */
export interface PlanMigrationContractRow {
  id: string;
  from_plan_id: string;
  to_plan_id: string;
  status: 'PREVIEW' | 'RUNNING' | 'COMPLETED' | 'ROLLED_BACK';
}

/** Every column of the view, in the view's order. */
export const PLAN_MIGRATION_CONTRACT_COLUMNS: (keyof PlanMigrationContractRow)[] = ['id', 'from_plan_id', 'to_plan_id', 'status'];

/** One migration's row, or null when there is none with this id. */
export async function readPlanMigrationContract(em: EntityManager, id: string): Promise<PlanMigrationContractRow | null> {
  const [row] = await query<PlanMigrationContractRow>(
    em,
    `select id::text as id, from_plan_id::text as from_plan_id, to_plan_id::text as to_plan_id, status
       from developers.plan_migration_contract where id = ?::uuid`,
    [id],
  );
  return row ?? null;
}
