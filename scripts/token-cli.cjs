#!/usr/bin/env node
'use strict';
/**
 * `npm run token`: prints a development token signed with JWT_SECRET (HS256).
 *   npm run token -- --sub alice --roles portal_admin [--email a@example.com] [--mfa] [--ttl 3600] [--claim k=v]
 *
 * Plain JavaScript on purpose: it runs without a TypeScript build, so it answers at once. It
 * reads the same settings as the gateway (the `jwt` part of common/config) and the same
 * development secret (common/development-secrets.json); scripts/token.test.ts checks that every
 * token it prints is one the gateway's settings accept.
 */
const jwt = require('jsonwebtoken');
const developmentSecrets = require('../common/development-secrets.json');

const USAGE = 'use --sub, --email, --roles, --mfa, --ttl, --claim k=v';

/** Claims and lifetime (seconds) from the command-line flags. */
function parseTokenArgs(argv) {
  const claims = { sub: 'developer', roles: [] };
  let ttl = 3600;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const take = () => {
      if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
      i++;
      return value;
    };
    switch (flag) {
      case '--sub':
        claims.sub = take();
        break;
      case '--email':
        claims.email = take();
        break;
      case '--roles':
        claims.roles = take()
          .split(/[\s,]+/)
          .filter(Boolean);
        break;
      case '--mfa':
        claims.amr = ['pwd', 'mfa'];
        break;
      case '--ttl':
        ttl = Number(take());
        break;
      case '--claim': {
        const [k, ...v] = take().split('=');
        claims[k] = v.join('=');
        break;
      }
      default:
        throw new Error(`unknown option ${flag} (${USAGE})`);
    }
  }
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('--ttl must be a positive number of seconds');
  return { claims, ttl };
}

/** The HS256 secret, issuer and audience the gateway verifies with, by the rules of the `jwt` part of common/config. */
function signingSettings(env) {
  let secret = env.JWT_SECRET || undefined;
  if (!secret && env.JWT_JWKS_URL) throw new Error('JWT_SECRET is not set: tokens for a JWKS setup come from your identity provider');
  // The message of a ConfigError of common/config, which this file cannot import (it needs no build).
  if (!secret && env.NODE_ENV === 'production')
    throw new Error(
      'npm run token: invalid configuration (1 variable):\n  JWT_SECRET: must be set when NODE_ENV=production (or set JWT_JWKS_URL)',
    );
  secret = secret || developmentSecrets.JWT_SECRET;
  return { secret, issuer: env.JWT_ISSUER || undefined, audience: env.JWT_AUDIENCE || undefined };
}

function signToken(claims, ttl = 3600, env = process.env) {
  const { secret, issuer, audience } = signingSettings(env);
  return jwt.sign(claims, secret, {
    algorithm: 'HS256',
    expiresIn: ttl,
    ...(issuer ? { issuer } : {}),
    ...(audience ? { audience } : {}),
  });
}

module.exports = { parseTokenArgs, signingSettings, signToken };

if (require.main === module) {
  try {
    const { claims, ttl } = parseTokenArgs(process.argv.slice(2));
    process.stdout.write(`${signToken(claims, ttl)}\n`);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}
