/** The portal's runtime settings, served by its server at `/config.json` (scripts/portal-server.ts). */
export interface PortalConfig {
  gatewayUrl: string;
  gatewayWsUrl: string;
  oidc: { issuer: string; clientId: string } | null;
  devSignIn: boolean;
}

export async function loadConfig(): Promise<PortalConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
  return (await response.json()) as PortalConfig;
}
