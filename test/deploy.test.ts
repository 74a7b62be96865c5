import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { gatewaySharedSecret, jwtConfig } from '../common/config';
import developmentSecrets from '../common/development-secrets.json';
import { projectRoot } from '../scripts/paths';

/**
 * The deployment files cannot be started here (no Docker engine), so what matters about them is
 * checked as text: production mode never falls back to a public secret, and nothing is published
 * on every interface by accident.
 */
describe('docker-compose.yml', () => {
  const root = projectRoot();
  const text = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
  const compose = yaml.load(text) as {
    services: Record<string, { environment?: Record<string, string>; ports?: string[] }>;
    'x-platform-env': Record<string, string>;
  };
  const SECRETS = ['POSTGRES_PASSWORD', 'GATEWAY_SHARED_SECRET', 'ENCRYPTION_KEYS', 'TYK_GW_SECRET'];

  it('runs the platform in production mode', () => {
    expect(compose['x-platform-env'].NODE_ENV).toBe('production');
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

  it('documents every variable it needs in deploy/env.example', () => {
    const example = fs.readFileSync(path.join(root, 'deploy', 'env.example'), 'utf8');
    for (const name of [...SECRETS, 'JWT_SECRET', 'JWT_JWKS_URL', 'GATEWAY_BIND']) expect(example).toMatch(new RegExp(`^${name}=`, 'm'));
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
