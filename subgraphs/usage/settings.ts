/**
 * Settings of the usage subgraph's ingest: the `usage` part of `common/config.ts`, where each
 * variable is declared with its default and bounds (and documented in the README's table).
 */
import { usageConfig, type UsageConfig } from '../../common/config';

export type UsageSettings = UsageConfig;

/** `name` or `schema.name`, each a plain lower-case SQL identifier. */
export const TABLE_NAME = /^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/;

export function usageSettings(env: NodeJS.ProcessEnv): UsageSettings {
  return usageConfig(env);
}
