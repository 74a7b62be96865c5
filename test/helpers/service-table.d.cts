/** Types of `test/helpers/service-table.cjs` (plain JavaScript, read by the global setup without a build). */
export interface TestService {
  name: string;
  variable: string;
  example: string;
  defaultPort?: number;
  helper: string;
  /** A program found on this machine: its path, or null (the variable, when set, names it). */
  locate?: (env: NodeJS.ProcessEnv) => string | null;
  /** What the global setup says when `locate` finds nothing, and what to do about it. */
  missing?: string;
  remedy?: string;
}
export const TEST_SERVICES: TestService[];
export function testVariable(service: TestService): string;
export function testFiles(roots: string[]): string[];
export function testsInside(source: string, helper: string, ts: typeof import('typescript')): number;
export function suitesNeeding(service: TestService, files: string[], ts: typeof import('typescript')): { file: string; tests: number }[];
export function reachable(service: TestService, url: string, timeoutMs?: number): Promise<void>;
export function locateChromium(env: NodeJS.ProcessEnv): string | null;
