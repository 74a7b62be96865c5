/** Types of `scripts/token-cli.cjs` (the `npm run token` command), for its TypeScript tests. */
export interface TokenArgs {
  claims: Record<string, unknown>;
  ttl: number;
}
export function parseTokenArgs(argv: string[]): TokenArgs;
export function signingSettings(env: NodeJS.ProcessEnv): { secret: string; issuer?: string; audience?: string };
export function signToken(claims: Record<string, unknown>, ttl?: number, env?: NodeJS.ProcessEnv): string;
