import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import jwt from 'jsonwebtoken';
import { projectRoot } from './paths';

/**
 * The reference developer portal's server: the static files Vite built into `portal/dist`, the
 * portal's runtime settings at `/config.json`, and, outside production, `/dev-token`, which mints
 * development tokens for the portal's development sign-in. The portal itself speaks only the
 * public GraphQL API, through the gateway (whose CORS answers any origin: tokens travel in the
 * `authorization` header, never in cookies).
 */
export interface PortalSettings {
  /** The gateway's GraphQL URL as browsers reach it. */
  gatewayUrl: string;
  /** OpenID Connect sign-in (authorization code with PKCE), when configured. */
  oidc: { issuer: string; clientId: string } | null;
  /** Development sign-in: HS256 tokens signed with this secret (never in production). */
  devTokens: { secret: string; issuer?: string; audience?: string } | null;
  /** The token claim that lists roles (`JWT_ROLES_CLAIM`, default `roles`). */
  rolesClaim?: string;
}

export interface PortalServerOptions extends PortalSettings {
  host: string;
  port: number;
  /** The built portal (default `portal/dist`). */
  distDir?: string;
}

export interface RunningPortal {
  url: string;
  stop(): Promise<void>;
}

/** The settings the portal reads at start (`/config.json`): no secret in it. */
export function portalRuntimeConfig(settings: PortalSettings) {
  return {
    gatewayUrl: settings.gatewayUrl,
    gatewayWsUrl: settings.gatewayUrl.replace(/^http/, 'ws'),
    oidc: settings.oidc,
    devSignIn: settings.devTokens !== null,
    rolesClaim: settings.rolesClaim ?? 'roles',
  };
}

const SUBJECT = /^[A-Za-z0-9._@-]{1,64}$/;
/** Roles the development sign-in may put in a token. */
const DEV_ROLES = new Set(['portal_admin']);
const DEV_TOKEN_SECONDS = 8 * 3600;

/**
 * What the portal's pages may load and reach: its own files, the gateway (HTTP and WebSocket) and
 * the OpenID Connect issuer's origin (its discovery document and token endpoint, which the sign-in
 * fetches); inline style attributes (the meter's width) but no inline script. The sign-in and
 * sign-out leave for the issuer by navigation, which no directive here restricts; no form is
 * posted there.
 */
export function contentSecurityPolicy(settings: PortalSettings): string {
  const gateway = new URL(settings.gatewayUrl);
  const ws = new URL(settings.gatewayUrl.replace(/^http/, 'ws'));
  const connect = [
    "'self'",
    gateway.origin,
    `${ws.protocol}//${ws.host}`,
    ...(settings.oidc ? [new URL(settings.oidc.issuer).origin] : []),
  ];
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src ${connect.join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
    "form-action 'self'",
  ].join('; ');
}

export function portalApp(options: PortalServerOptions): express.Express {
  const distDir = options.distDir ?? path.join(projectRoot(), 'portal', 'dist');
  const index = path.join(distDir, 'index.html');
  const csp = contentSecurityPolicy(options);
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('content-security-policy', csp);
    next();
  });
  app.get('/config.json', (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    res.json(portalRuntimeConfig(options));
  });
  if (options.devTokens) {
    const devTokens = options.devTokens;
    // Development only: anyone who can reach this port may mint a token of any subject.
    app.post('/dev-token', express.json({ limit: '2kb' }), (req, res) => {
      const body = (req.body ?? {}) as { subject?: unknown; roles?: unknown; email?: unknown };
      const subject = typeof body.subject === 'string' ? body.subject.trim() : '';
      const roles: unknown = body.roles ?? [];
      if (!SUBJECT.test(subject)) {
        res.status(400).json({ error: 'subject must be 1–64 letters, digits, or . _ @ -' });
        return;
      }
      if (!Array.isArray(roles) || roles.length > 4 || !roles.every((role) => typeof role === 'string' && DEV_ROLES.has(role))) {
        res.status(400).json({ error: `roles may only be ${[...DEV_ROLES].join(', ')}` });
        return;
      }
      const token = jwt.sign({ sub: subject, roles, email: `${subject}@example.test` }, devTokens.secret, {
        algorithm: 'HS256',
        expiresIn: DEV_TOKEN_SECONDS,
        ...(devTokens.issuer ? { issuer: devTokens.issuer } : {}),
        ...(devTokens.audience ? { audience: devTokens.audience } : {}),
      });
      res.setHeader('cache-control', 'no-store');
      res.json({ token, expiresIn: DEV_TOKEN_SECONDS });
    });
  }
  app.use(express.static(distDir, { index: false, maxAge: '1h', immutable: false }));
  // Client-side routes: every other GET is the app.
  app.get(/.*/, (_req, res) => {
    if (!fs.existsSync(index)) {
      res.status(503).type('text/plain').send('The portal is not built: run `npm run build`.');
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  });
  return app;
}

export function startPortalServer(options: PortalServerOptions): Promise<RunningPortal> {
  const app = portalApp(options);
  return new Promise((resolve, reject) => {
    const server = app.listen(options.port, options.host, (error?: Error) => {
      if (error) return reject(error);
      const { port } = server.address() as AddressInfo;
      const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
      resolve({
        url: `http://${host}:${port}/`,
        stop: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
