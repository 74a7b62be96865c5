/**
 * Settings of the usage subgraph's ingest: the `usage` part of `common/config.ts`, where each
 * variable is declared with its default and bounds (and documented in the README's table).
 */
import { usageConfig, type UsageConfig } from '../../common/config';

export { TABLE_NAME } from '../../common/config';
export type UsageSettings = UsageConfig;

export function usageSettings(env: NodeJS.ProcessEnv): UsageSettings {
  return usageConfig(env);
}
