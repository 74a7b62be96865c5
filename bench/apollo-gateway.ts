import fs from 'node:fs';
import { createSecretKey, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { GraphQLError } from 'graphql';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { REQUEST_ID_HEADER, REQUEST_ID_SIG_HEADER, signForwardedAuth, signRequestId, type Claims } from '../common/auth';
import { gatewaySharedSecret, jwtConfig, listenHost, portFor, subgraphUrl, type SubgraphName } from '../common/config';
import { SUPERGRAPH_FILE } from '../scripts/paths';

/**
 * The reference peer for the gateway benchmark: the same supergraph (schema/supergraph.graphql)
 * behind @apollo/gateway 2 on @apollo/server's standalone server. It does what our gateway does
 * for a request and nothing more: verifies the bearer token (HS256 with a KeyObject, like ours)
 * and forwards the claims to every subgraph signed in `extensions.plangraph`.
 * Run as a child process by `npm run bench` (PORT and SUBGRAPH_<NAME>_URL from the environment).
 */
interface PeerContext {
  claims: Claims | null;
  requestId: string;
}

const config = jwtConfig();
if (!config.secret) throw new Error('the reference gateway supports HS256 development tokens only (JWT_SECRET)');
const key = createSecretKey(Buffer.from(config.secret, 'utf8'));
const shared = gatewaySharedSecret();

function verify(authorization: string | undefined): Claims | null {
  if (!authorization) return null;
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  try {
    if (!match) throw new Error('not a bearer token');
    return jwt.verify(match[1], key, {
      algorithms: ['HS256'],
      ...(config.issuer ? { issuer: config.issuer } : {}),
      ...(config.audience ? { audience: config.audience } : {}),
    }) as Claims;
  } catch {
    throw new GraphQLError('Invalid token.', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
  }
}

class SignedDataSource extends RemoteGraphQLDataSource<PeerContext> {
  override willSendRequest(options: GraphQLDataSourceProcessOptions<PeerContext>): void {
    const context = options.context as Partial<PeerContext>;
    options.request.extensions = {
      ...options.request.extensions,
      plangraph: signForwardedAuth(shared, context.claims ?? null, options.request, Date.now()),
    };
    // The request id beside the body, with its HMAC over the body as RemoteGraphQLDataSource
    // will send it (`JSON.stringify` of the query first, then the rest without `http`), as our
    // gateway sends it.
    const { http, query, ...rest } = options.request;
    const requestId = context.requestId ?? randomUUID();
    http?.headers.set(REQUEST_ID_HEADER, requestId);
    http?.headers.set(REQUEST_ID_SIG_HEADER, signRequestId(shared, requestId, JSON.stringify({ query, ...rest })));
  }
}

async function main(): Promise<void> {
  const gateway = new ApolloGateway({
    supergraphSdl: fs.readFileSync(SUPERGRAPH_FILE, 'utf8'),
    buildService: ({ name }) => new SignedDataSource({ url: subgraphUrl(name as SubgraphName) }),
  });
  const server = new ApolloServer<PeerContext>({ gateway, introspection: false });
  const { url } = await startStandaloneServer(server, {
    listen: { port: portFor('gateway'), host: listenHost() },
    context: async ({ req }) => ({ claims: verify(req.headers.authorization), requestId: randomUUID() }),
  });
  process.stdout.write(`@apollo/gateway listening on ${url}\n`);
  const stop = () => {
    server.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  process.stderr.write(`@apollo/gateway failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
