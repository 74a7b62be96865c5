/**
 * GraphQL enums more than one subgraph exposes (federation value types must be identical in every
 * subgraph that declares them): declared once here, used by the owner and by the readers.
 */
import { registerEnumType } from 'type-graphql';

/** Who shares a quota counter (owned by the plans subgraph; usage reports it). */
export enum QuotaScope {
  CREDENTIAL = 'CREDENTIAL',
  APP = 'APP',
  ORGANIZATION = 'ORGANIZATION',
}

registerEnumType(QuotaScope, {
  name: 'QuotaScope',
  description: [
    'Who shares one quota and rate-limit counter. Tyk counts per key by default; for APP and ORGANIZATION the',
    'provider sync sets the key’s `rate_limit_pattern` (quota pattern) metadata (Tyk 5.3+) to the app or',
    'organization id, which makes Tyk key its rate-limit and quota counters on that value, so every credential of',
    'the app or organization draws from the same allowance.',
  ].join(' '),
  valuesConfig: {
    CREDENTIAL: { description: 'Each credential (Tyk key) has its own counter. The default, and Tyk’s own behavior.' },
    APP: { description: 'All credentials of one app share one counter.' },
    ORGANIZATION: { description: 'All credentials of one organization (all its apps) share one counter under this plan.' },
  },
});

/** What an approved access request receives (owned by the plans subgraph; developers' credentials carry it). */
export enum CredentialKind {
  API_KEY = 'API_KEY',
  OAUTH_CLIENT = 'OAUTH_CLIENT',
}

registerEnumType(CredentialKind, {
  name: 'CredentialKind',
  description: 'What an approved access request under a plan receives.',
  valuesConfig: {
    API_KEY: { description: 'An API key (`pgk_…`, see docs/CREDENTIALS.md), enforced by a Tyk key with the plan’s policies.' },
    OAUTH_CLIENT: {
      description:
        'OAuth2 client credentials (client id and secret) registered for the app at the identity provider of the plan’s provider (RFC 7591), with the plan’s `jwtScopes`; the app gets JWT access tokens with the client-credentials grant and Tyk applies the plan that matches their scope.',
    },
  },
});
