import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { gatewaySharedSecret, jwtConfig, SUBGRAPH_NAMES } from '../common/config';
import developmentSecrets from '../common/development-secrets.json';
import { projectRoot } from '../scripts/paths';
import {
  environmentProblems,
  isPlatformProcess,
  isSecretVariable,
  PLATFORM_PROCESSES,
  SECRET_STAND_INS,
  type PlatformProcess,
  type ProcessConfig,
} from './helpers/process-env';
import { KustomizeError, kustomizeHash, renderKustomization, type KubeObject } from './kubernetes/kustomize';
import { KUBERNETES_VERSION, kubernetesValidator } from './kubernetes/schema';

/**
 * The deployment files cannot be started here (no Docker engine, no cluster), so what matters
 * about them is checked from their text: against the configuration each process reads
 * (`common/config`: the variables of its parts, what production requires, its port), against the
 * Kubernetes API schemas, and for what production must never have (public secrets, literal
 * secrets, ports published on every interface).
 */
const root = projectRoot();
const START_ONE = ['node', 'dist/scripts/start-one.js'];

const clone = <T>(value: T): T => structuredClone(value);

/** `NAME=value` lines of an env file (comments and blank lines skipped). */
function envFile(file: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) pairs.set(match[1]!, match[2]!);
  }
  return pairs;
}

// -------------------------------------------------------------------------------------------------
// docker-compose.yml

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition?: string }>;
  restart?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
}

/** Compose's variable substitution: `$$`, `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`. */
function interpolate(text: string, vars: Record<string, string>, problems: string[]): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (
      whole,
      braced: string | undefined,
      colon: string | undefined,
      operator: string | undefined,
      argument: string | undefined,
      bare: string | undefined,
    ) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare)!;
      const value = vars[name];
      const missing = colon ? !value : value === undefined;
      if (operator === '-') return missing ? argument! : value!;
      if (operator === '?' && missing) problems.push(`compose: ${name} is required (${argument})`);
      return value ?? '';
    },
  );
}

/** The URL a healthcheck of the form `node -e "fetch(<'text' + process.env.NAME + …>)…"` asks for. */
function healthcheckUrl(test: string[] | undefined, env: Record<string, string>): string | null {
  if (!test || test[0] !== 'CMD' || test[1] !== 'node' || test[2] !== '-e') return null;
  const expression = /fetch\(([^)]*)\)/.exec(test[3] ?? '')?.[1];
  if (!expression) return null;
  return expression
    .split('+')
    .map((term) => {
      const text = /^\s*'([^']*)'\s*$/.exec(term)?.[1];
      if (text !== undefined) return text;
      const variable = /^\s*process\.env\.([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(term)?.[1];
      return variable === undefined ? '<?>' : (env[variable] ?? 'undefined');
    })
    .join('');
}

/** The variables an operator's .env gives compose: deploy/env.example's names, secrets filled in with stand-ins. */
function composeVariables(): Record<string, string> {
  const example = envFile(path.join(root, 'deploy', 'env.example'));
  return Object.fromEntries([...example].map(([name, value]) => [name, SECRET_STAND_INS[name] ?? value]));
}

/** Everything wrong with how compose runs the platform processes, checked against their configuration. */
function composeProblems(compose: Compose, vars: Record<string, string>): string[] {
  const problems: string[] = [];
  const byProcess = new Map<PlatformProcess, { service: string; config: ProcessConfig | null }>();
  const services = Object.entries(compose.services);
  const platform = services.filter(([, s]) => s.image === 'plangraph:dev' || (s.command ?? []).includes(START_ONE[1]!));

  for (const [service, s] of platform) {
    const command = s.command ?? [];
    const process = command[2] ?? '';
    if (command.length !== 3 || command[0] !== START_ONE[0] || command[1] !== START_ONE[1] || !isPlatformProcess(process)) {
      problems.push(
        `${service}: command ${JSON.stringify(command)} does not start a process (node dist/scripts/start-one.js <${PLATFORM_PROCESSES.join('|')}>)`,
      );
      continue;
    }
    if (byProcess.has(process)) problems.push(`${service}: ${process} is started by ${byProcess.get(process)!.service} already`);
    const env = Object.fromEntries(
      Object.entries(s.environment ?? {}).map(([name, value]) => [name, interpolate(String(value), vars, problems)]),
    );
    const { problems: envProblems, config } = environmentProblems(process, env);
    problems.push(...envProblems.map((p) => `${service}: ${p}`));
    byProcess.set(process, { service, config });
    if (!config) continue;
    const port = config.listen.port;
    if (config.listen.host !== '0.0.0.0')
      problems.push(`${service}: listens on ${config.listen.host}, unreachable from other containers (HOST=0.0.0.0)`);
    for (const published of s.ports ?? []) {
      const container = Number(String(published).split(':').pop());
      if (container !== port) problems.push(`${service}: publishes container port ${container}, but ${process} listens on ${port}`);
    }
    const url = healthcheckUrl(s.healthcheck?.test, env);
    if (url === null) problems.push(`${service}: no healthcheck of the form node -e "fetch(…)"`);
    else if (url !== `http://127.0.0.1:${port}/readyz`)
      problems.push(`${service}: healthcheck asks ${url}, not http://127.0.0.1:${port}/readyz`);
    for (const [target, { condition }] of Object.entries(s.depends_on ?? {})) {
      const dependency = compose.services[target];
      if (!dependency) problems.push(`${service}: depends on ${target}, which is no service`);
      else if (condition === 'service_healthy' && !dependency.healthcheck)
        problems.push(`${service}: waits for ${target} to be healthy, which has no healthcheck`);
    }
    if (process !== 'gateway' && s.depends_on?.postgres?.condition !== 'service_healthy')
      problems.push(`${service}: does not wait for postgres to be healthy (migrations run at start)`);
  }

  for (const process of PLATFORM_PROCESSES) if (!byProcess.has(process)) problems.push(`compose: no service runs ${process}`);
  const gateway = byProcess.get('gateway');
  if (gateway?.config) {
    const dependsOn = compose.services[gateway.service]!.depends_on ?? {};
    for (const name of SUBGRAPH_NAMES) {
      const subgraph = byProcess.get(name);
      if (!subgraph?.config) continue;
      if (dependsOn[subgraph.service]?.condition !== 'service_healthy')
        problems.push(`${gateway.service}: does not wait for ${subgraph.service} to be healthy`);
      const expected = `http://${subgraph.service}:${subgraph.config.listen.port}/graphql`;
      const url = gateway.config.subgraphUrls[name];
      if (url !== expected) problems.push(`${gateway.service}: reaches ${name} at ${url}, not ${expected}`);
    }
  }
  return problems;
}

describe('docker-compose.yml', () => {
  const text = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
  const compose = yaml.load(text) as Compose;
  const SECRETS = ['POSTGRES_PASSWORD', 'GATEWAY_SHARED_SECRET', 'ENCRYPTION_KEYS', 'TYK_GW_SECRET'];

  it('runs each platform process as start-one.js does in production, with the variables it reads, its port, healthcheck and dependencies', () => {
    expect(composeProblems(compose, composeVariables())).toEqual([]);
    const platform = Object.values(compose.services).filter((s) => s.command?.[1] === START_ONE[1]);
    expect(platform.map((s) => s.command![2]).sort()).toEqual([...PLATFORM_PROCESSES].sort());
    for (const service of platform) expect(service.environment?.NODE_ENV).toBe('production');
  });

  it('catches what it checks in a broken copy', () => {
    const vars = composeVariables();
    const broken = clone(compose);
    broken.services.gateway!.environment!.ENCRYPTION_KEYS = '${ENCRYPTION_KEYS:?set ENCRYPTION_KEYS}';
    delete broken.services.products!.environment!.DATABASE_URL;
    broken.services.plans!.environment!.PORT = '4102';
    broken.services.developers!.healthcheck = { test: ['CMD', 'node', '-e', "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz')"] };
    broken.services.usage!.command = ['node', 'dist/scripts/start-one.js', 'usages'];
    broken.services.provider!.environment!.TYK_GATEWAY_URL = 'http://tyk-gateway:8080';
    const problems = composeProblems(broken, vars);
    expect(problems).toEqual(
      expect.arrayContaining([
        'gateway: ENCRYPTION_KEYS is set, but gateway does not read it',
        'products: DATABASE_URL: must be set (npm start sets it for the embedded PostgreSQL)',
        'gateway: reaches plans at http://plans:4002/graphql, not http://plans:4102/graphql',
        'developers: healthcheck asks http://127.0.0.1:4003/healthz, not http://127.0.0.1:4003/readyz',
        `usage: command ["node","dist/scripts/start-one.js","usages"] does not start a process (node dist/scripts/start-one.js <${PLATFORM_PROCESSES.join('|')}>)`,
        'compose: no service runs usage',
        'provider: TYK_GATEWAY_URL is set, but provider does not read it',
      ]),
    );
    // A variable the operator did not set is reported, as `docker compose up` refuses it.
    expect(composeProblems(compose, { ...vars, GATEWAY_SHARED_SECRET: '' })).toContain(
      'compose: GATEWAY_SHARED_SECRET is required (set GATEWAY_SHARED_SECRET)',
    );
  });

  it('refuses to start without each secret, and has no default for any of them', () => {
    for (const name of SECRETS) {
      expect(text).toMatch(new RegExp(`\\$\\{${name}:\\?[^}]+\\}`));
      expect(text).not.toMatch(new RegExp(`\\$\\{${name}:-`));
    }
    // JWT_SECRET may stay empty (JWT_JWKS_URL instead): the processes refuse to start without one of them.
    expect(text).toMatch(/JWT_SECRET: \$\{JWT_SECRET:-\}/);
    // No literal credentials left in the files the containers read.
    for (const file of ['docker-compose.yml', 'deploy/tyk/pump.conf', 'deploy/tyk/tyk.conf']) {
      const content = fs.readFileSync(path.join(root, file), 'utf8');
      expect(content).not.toMatch(/password=plangraph|POSTGRES_PASSWORD: plangraph|plangraph-dev-/);
      for (const value of Object.values(developmentSecrets)) expect(content).not.toContain(value);
    }
  });

  it('publishes ports on an explicit address only (the gateway on 127.0.0.1 unless GATEWAY_BIND says otherwise)', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) {
        expect({ name, port }).toEqual({ name, port: expect.stringMatching(/^(127\.0\.0\.1|\$\{GATEWAY_BIND:-127\.0\.0\.1\}):\d+:\d+$/) });
      }
    }
    expect(compose.services.gateway!.ports).toEqual(['${GATEWAY_BIND:-127.0.0.1}:4000:4000']);
  });

  it('documents every variable it substitutes in deploy/env.example', () => {
    const example = envFile(path.join(root, 'deploy', 'env.example'));
    const substituted = new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
    expect([...substituted].filter((name) => !example.has(name))).toEqual([]);
    for (const name of [...SECRETS, 'JWT_SECRET', 'JWT_JWKS_URL', 'GATEWAY_BIND']) expect(example.has(name)).toBe(true);
  });
});

// -------------------------------------------------------------------------------------------------
// Kubernetes (deploy/kubernetes)

const KUBE = path.join(root, 'deploy', 'kubernetes');
const BASE = path.join(KUBE, 'base');
const OVERLAY = path.join(KUBE, 'overlays', 'example');
const SECRETS_EXAMPLE = path.join(OVERLAY, 'secrets.env.example');
/** The Secret's name before kustomize's hash suffix. */
const SECRET_NAME = 'plangraph-secrets';

/** The example overlay, its secrets.env (kept out of git) read from secrets.env.example. */
function renderOverlay(): KubeObject[] {
  return renderKustomization(OVERLAY, {
    readFile: (file) => fs.readFileSync(file === path.join(OVERLAY, 'secrets.env') ? SECRETS_EXAMPLE : file, 'utf8'),
  });
}

const spec = (object: KubeObject): any => object.spec as any;
const podSpec = (deployment: KubeObject): any => spec(deployment).template.spec;
const podLabels = (deployment: KubeObject): Record<string, string> => spec(deployment).template.metadata?.labels ?? {};
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);

/** CPU in millicores, memory in bytes: enough of the Quantity format for requests and limits. */
function quantity(value: string | number): number {
  const match = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(value));
  if (!match) return NaN;
  const factor: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(match[1]) * (match[2] ? factor[match[2]]! : 1);
}

interface KubernetesCheckOptions {
  /** Leave out the secret keys referenced with `optional: true`, as a Secret without them would. */
  withoutOptionalSecrets?: boolean;
}

/**
 * Everything wrong with rendered manifests, checked against the Kubernetes schemas and against
 * the configuration each process reads. Empty when all is well.
 */
function kubernetesProblems(objects: KubeObject[], options: KubernetesCheckOptions = {}): string[] {
  const problems: string[] = [];
  const validator = kubernetesValidator();
  for (const object of objects) problems.push(...validator.problems(object));

  const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const configMaps = new Map(ofKind('ConfigMap').map((o) => [o.metadata.name, (o.data ?? {}) as Record<string, string>]));
  const secrets = ofKind('Secret');
  // With no Secret rendered (the base), references name it as an overlay or an operator creates it.
  const secretName = secrets.length === 0 ? SECRET_NAME : secrets.find((s) => s.metadata.name.startsWith(`${SECRET_NAME}-`))?.metadata.name;
  if (!secretName) problems.push(`no Secret ${SECRET_NAME} rendered`);
  const secretKeys = new Set(envFile(SECRETS_EXAMPLE).keys());
  const deployments = ofKind('Deployment');
  const used = new Set<string>();
  const processes = new Map<PlatformProcess, { deployment: KubeObject; config: ProcessConfig | null; port: number | undefined }>();

  for (const deployment of deployments) {
    const label = `Deployment/${deployment.metadata.name}`;
    const pod = podSpec(deployment);
    const containers: any[] = pod.containers ?? [];
    if (containers.length !== 1) {
      problems.push(`${label}: has ${containers.length} containers, not one`);
      continue;
    }
    const container = containers[0];
    const command = [...(container.command ?? []), ...(container.args ?? [])];
    const process = command[2] ?? '';
    if (command.length !== 3 || command[0] !== START_ONE[0] || command[1] !== START_ONE[1] || !isPlatformProcess(process)) {
      problems.push(`${label}: runs ${JSON.stringify(command)}, not node dist/scripts/start-one.js <process>`);
      continue;
    }
    if (processes.has(process)) problems.push(`${label}: ${process} runs in ${processes.get(process)!.deployment.metadata.name} already`);
    if (!selects(spec(deployment).selector?.matchLabels, podLabels(deployment)) || spec(deployment).selector?.matchExpressions)
      problems.push(`${label}: selector.matchLabels must select its own pod template (and only matchLabels is checked here)`);
    if (spec(deployment).replicas !== undefined) problems.push(`${label}: sets replicas, which its HorizontalPodAutoscaler owns`);

    // The environment, and where each variable comes from.
    const env: Record<string, string> = {};
    const set = (name: string, value: string, from: string) => {
      if (name in env) problems.push(`${label}: ${name} is set twice`);
      if (isSecretVariable(name) && from !== 'secret')
        problems.push(`${label}: ${name} is a secret, but comes from ${from}, not a secretKeyRef`);
      env[name] = value;
    };
    for (const source of container.envFrom ?? []) {
      const name = source.configMapRef?.name;
      if (!name || source.prefix) {
        problems.push(
          `${label}: envFrom ${JSON.stringify(source)}: only whole ConfigMaps (secrets come one key at a time, by secretKeyRef)`,
        );
        continue;
      }
      used.add(name);
      const data = configMaps.get(name);
      if (!data) problems.push(`${label}: envFrom ConfigMap ${name}, which is not rendered`);
      for (const [key, value] of Object.entries(data ?? {})) set(key, value, `ConfigMap ${name}`);
    }
    for (const variable of container.env ?? []) {
      if (variable.value !== undefined) set(variable.name, String(variable.value), 'a literal value');
      else if (variable.valueFrom?.configMapKeyRef) {
        const { name, key } = variable.valueFrom.configMapKeyRef;
        used.add(name);
        set(variable.name, configMaps.get(name)?.[key] ?? '', `ConfigMap ${name}`);
      } else if (variable.valueFrom?.secretKeyRef) {
        const { name, key, optional } = variable.valueFrom.secretKeyRef;
        if (name !== secretName) problems.push(`${label}: ${variable.name} comes from Secret ${name}, not ${secretName}`);
        if (!secretKeys.has(key))
          problems.push(`${label}: ${variable.name} comes from key ${key}, which secrets.env.example does not list`);
        if (!(key in SECRET_STAND_INS)) problems.push(`${label}: secret key ${key} has no stand-in value in test/helpers/process-env.ts`);
        if (key !== variable.name) problems.push(`${label}: ${variable.name} comes from key ${key}: keep one name`);
        if (optional && options.withoutOptionalSecrets) continue;
        set(variable.name, SECRET_STAND_INS[key] ?? '', 'secret');
      } else problems.push(`${label}: ${variable.name}: only values, configMapKeyRef and secretKeyRef are checked here`);
    }
    const { problems: envProblems, config } = environmentProblems(process, env);
    problems.push(...envProblems.map((p) => `${label}: ${p}`));

    // Port, probes, metrics.
    const http = (container.ports ?? []).find((p: any) => p.name === 'http');
    const port: number | undefined = http?.containerPort;
    if (config && port !== config.listen.port)
      problems.push(`${label}: port http is ${port}, but ${process} listens on ${config.listen.port}`);
    if (config && config.listen.host !== '0.0.0.0')
      problems.push(`${label}: ${process} listens on ${config.listen.host}, unreachable from other pods`);
    const resolves = (p: string | number) => p === 'http' || (port !== undefined && p === port);
    for (const [probe, path] of [
      ['startupProbe', '/healthz'],
      ['livenessProbe', '/healthz'],
      ['readinessProbe', '/readyz'],
    ] as const) {
      const get = container[probe]?.httpGet;
      if (!get) problems.push(`${label}: no ${probe}`);
      else if (get.path !== path || !resolves(get.port))
        problems.push(`${label}: ${probe} asks ${get.path} on port ${get.port}, not ${path} on http`);
    }
    const startup = container.startupProbe;
    if (process !== 'gateway' && startup && (startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3) < 120)
      problems.push(`${label}: startupProbe gives less than 2 minutes to migrations`);
    const annotations = spec(deployment).template.metadata?.annotations ?? {};
    if (
      annotations['prometheus.io/scrape'] !== 'true' ||
      annotations['prometheus.io/path'] !== '/metrics' ||
      annotations['prometheus.io/port'] !== String(port)
    )
      problems.push(`${label}: prometheus.io annotations must scrape /metrics on port ${port}`);

    // Hardening and resources.
    const podSecurity = pod.securityContext ?? {};
    const security = container.securityContext ?? {};
    if (podSecurity.runAsNonRoot !== true || !(podSecurity.runAsUser > 0)) problems.push(`${label}: must run as a non-root user id`);
    if (
      security.allowPrivilegeEscalation !== false ||
      security.readOnlyRootFilesystem !== true ||
      !security.capabilities?.drop?.includes('ALL')
    )
      problems.push(`${label}: container must forbid privilege escalation, mount its root read-only and drop ALL capabilities`);
    if (pod.automountServiceAccountToken !== false) problems.push(`${label}: mounts a service account token it has no use for`);
    // Service links would add <SERVICE>_PORT=tcp://… variables: a Service named "gateway" would break GATEWAY_PORT.
    if (pod.enableServiceLinks !== false) problems.push(`${label}: enableServiceLinks must be false`);
    const { requests = {}, limits = {} } = container.resources ?? {};
    for (const resource of ['cpu', 'memory']) {
      if (requests[resource] === undefined || limits[resource] === undefined) problems.push(`${label}: no ${resource} request and limit`);
      else if (!(quantity(requests[resource]) <= quantity(limits[resource])))
        problems.push(`${label}: ${resource} request above its limit`);
    }
    const spread: any[] = pod.topologySpreadConstraints ?? [];
    if (spread.length === 0 || !spread.every((c) => selects(c.labelSelector?.matchLabels, podLabels(deployment))))
      problems.push(`${label}: topologySpreadConstraints must spread its own pods`);
    processes.set(process, { deployment, config, port });
  }

  for (const process of PLATFORM_PROCESSES) if (!processes.has(process)) problems.push(`no Deployment runs ${process}`);
  const images = new Set(deployments.map((d) => podSpec(d).containers?.[0]?.image));
  if (images.size !== 1) problems.push(`the Deployments run ${images.size} images, not one: ${[...images].join(', ')}`);
  for (const name of configMaps.keys()) if (!used.has(name)) problems.push(`ConfigMap/${name}: no Deployment reads it`);

  // Graceful stop: the preStop pause and the longest request fit in the grace period.
  const gatewayConfig = processes.get('gateway')?.config;
  const requestSeconds = Math.ceil((gatewayConfig?.graphqlLimits.requestTimeoutMs ?? 0) / 1000);
  for (const { deployment } of processes.values()) {
    const pause = podSpec(deployment).containers[0].lifecycle?.preStop?.sleep?.seconds ?? 0;
    const grace = podSpec(deployment).terminationGracePeriodSeconds ?? 30;
    if (grace < pause + requestSeconds + 5)
      problems.push(
        `Deployment/${deployment.metadata.name}: terminationGracePeriodSeconds ${grace} is shorter than preStop (${pause} s) + a request (${requestSeconds} s) + 5 s`,
      );
  }

  // Services, autoscalers and disruption budgets: one of each per Deployment, selecting it alone.
  const matching = (selector: Record<string, string> | undefined) => deployments.filter((d) => selects(selector, podLabels(d)));
  const services = new Map<string, KubeObject>();
  for (const service of ofKind('Service')) {
    const targets = matching(spec(service).selector);
    if (targets.length !== 1) {
      problems.push(`Service/${service.metadata.name}: selects ${targets.length} Deployments, not one`);
      continue;
    }
    const http = processes.get(podSpec(targets[0]!).containers[0].args?.[2])?.port;
    if (!(spec(service).ports ?? []).some((p: any) => p.targetPort === 'http' || p.targetPort === http))
      problems.push(`Service/${service.metadata.name}: no port targets the http port of ${targets[0]!.metadata.name}`);
    services.set(targets[0]!.metadata.name, service);
  }
  const pdbs = new Map<string, number>();
  for (const pdb of ofKind('PodDisruptionBudget')) {
    const targets = matching(spec(pdb).selector?.matchLabels);
    if (targets.length !== 1 || spec(pdb).selector?.matchExpressions)
      problems.push(`PodDisruptionBudget/${pdb.metadata.name}: selects ${targets.length} Deployments, not one`);
    for (const target of targets) pdbs.set(target.metadata.name, (pdbs.get(target.metadata.name) ?? 0) + 1);
  }
  const hpas = new Map<string, number>();
  for (const hpa of ofKind('HorizontalPodAutoscaler')) {
    const ref = spec(hpa).scaleTargetRef;
    const target = deployments.find((d) => ref.kind === 'Deployment' && ref.apiVersion === 'apps/v1' && d.metadata.name === ref.name);
    if (!target) problems.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: scales ${ref.kind}/${ref.name}, which is not rendered`);
    else hpas.set(target.metadata.name, (hpas.get(target.metadata.name) ?? 0) + 1);
    if (!(spec(hpa).minReplicas >= 2))
      problems.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: fewer than 2 replicas leave nothing while one restarts`);
  }
  for (const deployment of deployments) {
    const name = deployment.metadata.name;
    if (!services.has(name)) problems.push(`Deployment/${name}: no Service selects it`);
    if (pdbs.get(name) !== 1) problems.push(`Deployment/${name}: ${pdbs.get(name) ?? 0} PodDisruptionBudgets, not one`);
    if (hpas.get(name) !== 1) problems.push(`Deployment/${name}: ${hpas.get(name) ?? 0} HorizontalPodAutoscalers, not one`);
  }

  // The gateway reaches each subgraph through that subgraph's Service.
  if (gatewayConfig) {
    for (const name of SUBGRAPH_NAMES) {
      const subgraph = processes.get(name);
      const service = subgraph && services.get(subgraph.deployment.metadata.name);
      if (!service) continue;
      const servicePort = (spec(service).ports ?? []).find((p: any) => p.targetPort === 'http' || p.targetPort === subgraph.port)?.port;
      const expected = `http://${service.metadata.name}:${servicePort}/graphql`;
      const url = gatewayConfig.subgraphUrls[name];
      if (url !== expected) problems.push(`gateway: reaches ${name} at ${url}, not its Service (${expected})`);
    }
  }

  // Settings in ConfigMaps, never credentials.
  for (const [name, data] of configMaps) {
    for (const [key, value] of Object.entries(data)) {
      if (isSecretVariable(key)) problems.push(`ConfigMap/${name}: holds the secret ${key}`);
      if (/:\/\/[^/@\s]+:[^/@\s]*@/.test(value)) problems.push(`ConfigMap/${name}: ${key} holds a URL with a password`);
    }
  }
  return problems;
}

describe(`Kubernetes manifests (deploy/kubernetes), Kubernetes ${KUBERNETES_VERSION}`, () => {
  let base: KubeObject[];
  let overlay: KubeObject[];
  beforeAll(() => {
    base = renderKustomization(BASE);
    overlay = renderOverlay();
  });

  const kinds = (objects: KubeObject[]) =>
    Object.entries(objects.reduce<Record<string, number>>((count, o) => ({ ...count, [o.kind]: (count[o.kind] ?? 0) + 1 }), {})).sort();

  it('render: the base without a Secret, the example overlay with one, in its namespace and with its image', () => {
    expect(kinds(base)).toEqual([
      ['ConfigMap', 8],
      ['Deployment', 6],
      ['HorizontalPodAutoscaler', 6],
      ['PodDisruptionBudget', 6],
      ['Service', 6],
    ]);
    expect(kinds(overlay)).toEqual([...kinds(base), ['Secret', 1]].sort());
    expect(new Set(overlay.map((o) => o.metadata.namespace))).toEqual(new Set(['plangraph']));
    for (const deployment of overlay.filter((o) => o.kind === 'Deployment')) {
      // Pinned to a release, not a moving tag.
      expect(podSpec(deployment).containers[0].image).toMatch(/^[^:@]+(:(?!latest$|dev$)[\w.-]+|@sha256:[0-9a-f]{64})$/);
      expect(podLabels(deployment)['app.kubernetes.io/part-of']).toBe('plangraph');
    }
    // The overlay's JWKS endpoint is merged into the base's ConfigMap, whose name follows its content.
    const jwt = overlay.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('plangraph-jwt-'))!;
    expect((jwt.data as Record<string, string>).JWT_JWKS_URL).toMatch(/^https:\/\//);
    expect(jwt.metadata.name).not.toBe(base.find((o) => o.metadata.name.startsWith('plangraph-jwt-'))!.metadata.name);
  });

  it('every object is valid against the Kubernetes API schemas, unknown fields refused', () => {
    const validator = kubernetesValidator();
    expect([...base, ...overlay].flatMap((o) => validator.problems(o))).toEqual([]);
  });

  it('the schema check catches a misspelt field, a wrong type, a missing field and an unknown kind', () => {
    const validator = kubernetesValidator();
    const deployment = clone(base.find((o) => o.kind === 'Deployment')!);
    const container = podSpec(deployment).containers[0];
    container.readinesProbe = container.readinessProbe;
    container.ports[0].containerPort = 'http';
    delete podSpec(deployment).containers[0].name;
    const problems = validator.problems(deployment);
    expect(problems).toEqual(
      expect.arrayContaining([
        `Deployment/${deployment.metadata.name}: /spec/template/spec/containers/0 must NOT have additional properties (readinesProbe)`,
        `Deployment/${deployment.metadata.name}: /spec/template/spec/containers/0/ports/0/containerPort must be integer`,
        `Deployment/${deployment.metadata.name}: /spec/template/spec/containers/0 must have required property 'name' (name)`,
      ]),
    );
    const pdb = clone(base.find((o) => o.kind === 'PodDisruptionBudget')!);
    (pdb.spec as any).maxUnavailabel = 1;
    expect(validator.problems(pdb)).toEqual([
      `PodDisruptionBudget/${pdb.metadata.name}: /spec must NOT have additional properties (maxUnavailabel)`,
    ]);
    const hpa = clone(base.find((o) => o.kind === 'HorizontalPodAutoscaler')!);
    hpa.apiVersion = 'autoscaling/v2beta2';
    expect(validator.problems(hpa)).toEqual([
      `HorizontalPodAutoscaler/${hpa.metadata.name}: autoscaling/v2beta2 HorizontalPodAutoscaler is not a kind of Kubernetes ${KUBERNETES_VERSION} known here`,
    ]);
  });

  it('match the configuration of each process: variables it reads, what production requires, ports, probes, selectors, secrets', () => {
    expect(kubernetesProblems(base)).toEqual([]);
    expect(kubernetesProblems(overlay)).toEqual([]);
    // The example overlay needs no JWT_SECRET (its JWKS endpoint checks tokens); the base alone does.
    expect(kubernetesProblems(overlay, { withoutOptionalSecrets: true })).toEqual([]);
    expect(kubernetesProblems(base, { withoutOptionalSecrets: true })).toEqual([
      'Deployment/plangraph-gateway: JWT_SECRET: must be set when NODE_ENV=production (or set JWT_JWKS_URL)',
      'Deployment/plangraph-usage: JWT_SECRET: must be set when NODE_ENV=production (or set JWT_JWKS_URL)',
    ]);
  });

  it('the cross-check catches a broken copy', () => {
    const broken = clone(base);
    const deploymentOf = (process: string) => broken.find((o) => o.kind === 'Deployment' && o.metadata.name === `plangraph-${process}`)!;
    const containerOf = (process: string) => podSpec(deploymentOf(process)).containers[0];
    containerOf('gateway').env.push({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: SECRET_NAME, key: 'DATABASE_URL' } } });
    containerOf('products').env = containerOf('products').env.filter((v: any) => v.name !== 'DATABASE_URL');
    containerOf('plans').env.push({ name: 'GATEWAY_SHARED_SECRET', value: 'literal' });
    containerOf('developers').ports[0].containerPort = 4100;
    containerOf('usage').readinessProbe.httpGet.path = '/healthz';
    podSpec(deploymentOf('provider')).securityContext.runAsNonRoot = false;
    const pdb = broken.find((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'plangraph-usage')!;
    (pdb.spec as any).selector.matchLabels = { 'app.kubernetes.io/name': 'plangraph' };
    const problems = kubernetesProblems(broken);
    expect(problems).toEqual(
      expect.arrayContaining([
        'Deployment/plangraph-gateway: DATABASE_URL is set, but gateway does not read it',
        'Deployment/plangraph-products: DATABASE_URL: must be set (npm start sets it for the embedded PostgreSQL)',
        'Deployment/plangraph-plans: GATEWAY_SHARED_SECRET is set twice',
        'Deployment/plangraph-plans: GATEWAY_SHARED_SECRET is a secret, but comes from a literal value, not a secretKeyRef',
        'Deployment/plangraph-developers: port http is 4100, but developers listens on 4003',
        'Deployment/plangraph-usage: readinessProbe asks /healthz on port http, not /readyz on http',
        'Deployment/plangraph-provider: must run as a non-root user id',
        'PodDisruptionBudget/plangraph-usage: selects 6 Deployments, not one',
        'Deployment/plangraph-gateway: 2 PodDisruptionBudgets, not one',
      ]),
    );
  });

  it('keep secrets out of git: no Secret in the files, secrets.env ignored, every secret key listed in secrets.env.example', () => {
    const files = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    for (const file of files(KUBE)) {
      expect({ file, text: fs.readFileSync(file, 'utf8') }).toEqual({ file, text: expect.not.stringMatching(/^kind:\s*Secret\s*$/m) });
      expect(path.basename(file)).not.toBe('secrets.env');
    }
    const ignored = (file: string) => {
      try {
        execFileSync('git', ['check-ignore', '--no-index', '-q', path.relative(root, file)], { cwd: root });
        return true;
      } catch {
        return false;
      }
    };
    expect(ignored(path.join(OVERLAY, 'secrets.env'))).toBe(true);
    expect(ignored(SECRETS_EXAMPLE)).toBe(false);
    // The example holds names, no values.
    expect([...envFile(SECRETS_EXAMPLE).values()].filter(Boolean)).toEqual([]);
    const referenced = new Set(
      overlay
        .filter((o) => o.kind === 'Deployment')
        .flatMap((d) => (podSpec(d).containers[0].env ?? []).map((v: any) => v.valueFrom?.secretKeyRef?.key).filter(Boolean)),
    );
    expect([...referenced].sort()).toEqual([...envFile(SECRETS_EXAMPLE).keys()].sort());
  });
});

describe('the kustomize subset (test/kubernetes/kustomize.ts)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plangraph-kustomize-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (file: string, text: string) => fs.writeFileSync(path.join(dir, file), text);

  it('refuses every kustomization field it does not implement, so nothing goes unrendered', () => {
    write('kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\npatches: []\n');
    expect(() => renderKustomization(dir)).toThrow(KustomizeError);
    expect(() => renderKustomization(dir)).toThrow(/"patches" is not implemented/);
    write(
      'kustomization.yaml',
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nlabels:\n  - pairs: {a: b}\n    includeSelectors: true\n',
    );
    expect(() => renderKustomization(dir)).toThrow(/includeSelectors: true is not implemented/);
    write(
      'kustomization.yaml',
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nconfigMapGenerator:\n  - name: c\n    files: [x]\n',
    );
    expect(() => renderKustomization(dir)).toThrow(/"files" is not implemented/);
    // A bare KEY in an env file would take its value from the environment of whoever renders.
    write('a.env', 'A=1\nB\n');
    write(
      'kustomization.yaml',
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nconfigMapGenerator:\n  - name: c\n    envs: [a.env]\n',
    );
    expect(() => renderKustomization(dir)).toThrow(/has no "="/);
  });

  it('names generated ConfigMaps and Secrets as kustomize does, and renames the references to them', () => {
    // Names from `kubectl kustomize` (kubectl v1.32.4, kustomize v5.5.0) for the same files.
    write('a.env', '# c\nA=1\nB=x y \nC="q"\nD=a&b<c>\n');
    write('s.env', 'S=secret\nT=\n');
    write(
      'd.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {x: y}}\n  template:\n    metadata: {labels: {x: y}}\n' +
        '    spec:\n      containers:\n        - name: c\n          image: plangraph:dev\n          envFrom: [{configMapRef: {name: cm}}]\n' +
        '          env: [{name: S, valueFrom: {secretKeyRef: {name: sec, key: S}}}]\n',
    );
    write(
      'kustomization.yaml',
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [d.yaml]\nimages: [{name: plangraph, newName: reg/plangraph, newTag: "1.2"}]\n' +
        'configMapGenerator: [{name: cm, envs: [a.env]}]\nsecretGenerator: [{name: sec, envs: [s.env]}]\n',
    );
    const objects = renderKustomization(dir);
    const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
    const secret = objects.find((o) => o.kind === 'Secret')!;
    expect(configMap).toMatchObject({ metadata: { name: 'cm-dmd77m686f' }, data: { A: '1', B: 'x y ', C: '"q"', D: 'a&b<c>' } });
    expect(secret).toMatchObject({ metadata: { name: 'sec-4fk778b54h' }, type: 'Opaque', data: { S: 'c2VjcmV0', T: '' } });
    expect(kustomizeHash(configMap)).toBe('dmd77m686f');
    const container = podSpec(objects.find((o) => o.kind === 'Deployment')!).containers[0];
    expect(container.envFrom[0].configMapRef.name).toBe('cm-dmd77m686f');
    expect(container.env[0].valueFrom.secretKeyRef.name).toBe('sec-4fk778b54h');
    expect(container.image).toBe('reg/plangraph:1.2');
  });
});

describe('production settings', () => {
  it('refuse the public development secrets', () => {
    expect(() => gatewaySharedSecret({ NODE_ENV: 'production', GATEWAY_SHARED_SECRET: developmentSecrets.GATEWAY_SHARED_SECRET })).toThrow(
      /public development value/,
    );
    expect(() => jwtConfig({ NODE_ENV: 'production', JWT_SECRET: developmentSecrets.JWT_SECRET })).toThrow(/public development value/);
    expect(gatewaySharedSecret({ NODE_ENV: 'production', GATEWAY_SHARED_SECRET: 'a-secret-of-our-own-0123456789abcdef' })).toBe(
      'a-secret-of-our-own-0123456789abcdef',
    );
    // Outside production the development values stay the defaults.
    expect(gatewaySharedSecret({})).toBe(developmentSecrets.GATEWAY_SHARED_SECRET);
  });
});
