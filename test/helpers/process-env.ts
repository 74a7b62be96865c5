/**
 * What a deployment file gives one process, checked against the configuration the process reads
 * (`common/config`): docker-compose.yml and the Kubernetes manifests use the same check.
 */
import { ConfigError, PROCESSES, processConfig, SUBGRAPH_NAMES, VARIABLES, type SubgraphName } from '../../common/config';

export const PLATFORM_PROCESSES = ['gateway', ...SUBGRAPH_NAMES] as const;
export type PlatformProcess = SubgraphName | 'gateway';

export function isPlatformProcess(name: string): name is PlatformProcess {
  return (PLATFORM_PROCESSES as readonly string[]).includes(name);
}

/** Every variable a process reads: the variables of its parts (`PROCESSES`). */
export function variablesRead(process: PlatformProcess): Set<string> {
  return new Set(Object.values(PROCESSES[process]).flatMap((part) => [...part.variables]));
}

/** Declared secret (`VARIABLES[…].secret`), or named like one. */
export function isSecretVariable(name: string): boolean {
  const declared = (VARIABLES as Record<string, { secret?: boolean }>)[name];
  return declared?.secret === true || /SECRET|PASSWORD|TOKEN|CREDENTIAL|PRIVATE|(^|_)KEYS?$/.test(name);
}

/**
 * Valid stand-ins for the secrets, as an operator would set them (never the development values,
 * which production refuses). A new secret needs one here.
 */
export const SECRET_STAND_INS: Record<string, string> = {
  DATABASE_URL: 'postgres://plangraph:stand-in-password@postgres:5432/plangraph',
  GATEWAY_SHARED_SECRET: 'stand-in-gateway-secret-0123456789abcdef',
  ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  JWT_SECRET: 'stand-in-jwt-secret-0123456789abcdef',
  TYK_ANALYTICS_DATABASE_URL: 'postgres://pump:stand-in-password@postgres:5432/analytics',
  POSTGRES_PASSWORD: 'stand-in-password',
  TYK_GW_SECRET: 'stand-in-tyk-secret',
  REDIS_URL: 'redis://:stand-in-password@redis:6379',
};

/** A process's parsed configuration: where it listens, and for the gateway its subgraph URLs and limits. */
export type ProcessConfig = { listen: { host: string; port: number } } & Record<string, any>;

/**
 * Problems of the environment a deployment file gives a process: variables the process does not
 * read (misspelt, or meant for another process), and whatever its configuration refuses when it
 * starts in production mode (a required variable missing, a bad value). `config` is what the
 * process would run with, when it would start.
 */
export function environmentProblems(
  process: PlatformProcess,
  env: Record<string, string>,
): { problems: string[]; config: ProcessConfig | null } {
  const read = variablesRead(process);
  const problems = Object.keys(env)
    .filter((name) => !read.has(name))
    .map((name) => `${name} is set, but ${process} does not read it`);
  if (env.NODE_ENV !== 'production') problems.push(`NODE_ENV is ${JSON.stringify(env.NODE_ENV)}, not production`);
  let config: ProcessConfig | null = null;
  try {
    config = processConfig(process, { ...env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems.map((p) => `${p.variable}${p.shown}: ${p.message}`));
  }
  return { problems, config };
}
