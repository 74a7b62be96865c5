/** The portal's runtime settings, served by its server at `/config.json` (scripts/portal-server.ts). */
export interface PortalConfig {
  gatewayUrl: string;
  gatewayWsUrl: string;
  oidc: { issuer: string; clientId: string } | null;
  devSignIn: boolean;
  /** The token claim that lists the caller's roles (`JWT_ROLES_CLAIM`): the menu offers what they suggest. */
  rolesClaim: string;
}

export async function loadConfig(): Promise<PortalConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
  return (await response.json()) as PortalConfig;
}
