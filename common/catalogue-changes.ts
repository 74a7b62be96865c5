import type express from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import { signForwardedAuth, verifyForwardedAuth } from './auth';
import { gatewaySharedSecret, gatewaySignatureMaxAgeSeconds } from './config';
import type { JobRuntime } from './server';

/**
 * Catalogue changes that do not pass through the gateway's mutations (the policy-import jobs of
 * the products and plans subgraphs) are announced on the event bus (`common/pubsub.ts`, topic
 * `catalogueChanged`, after the change has committed), and the products subgraph streams them to
 * the gateways at `GET /catalogue-changes` (server-sent events), so their response caches
 * (`gateway/response-cache.ts`) invalidate within the delivery time.
 */
export const CATALOGUE_CHANGED_TOPIC = 'catalogueChanged';
export const CATALOGUE_CHANGES_PATH = '/catalogue-changes';
/** The header carrying the gateway's signature over the pseudo-operation below. */
export const CATALOGUE_CHANGES_AUTH_HEADER = 'x-plangraph-auth';
const STREAM_REQUEST = { query: 'catalogueChanges' };
/** A comment line this often keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

/** Announces a committed catalogue change made outside the gateway (call after the transaction). */
export async function announceCatalogueChange(runtime: JobRuntime, task: string): Promise<void> {
  const em = runtime.orm.em.fork() as EntityManager;
  await em.transactional((tx) => runtime.pubsub.emit(tx, CATALOGUE_CHANGED_TOPIC, { task }));
}

/** The header value a gateway sends to open the stream: signed like its subgraph calls, valid for `GATEWAY_SIGNATURE_MAX_AGE_SECONDS`. */
export function catalogueChangesAuth(secret: string, nowMs: number): string {
  return JSON.stringify(signForwardedAuth(secret, null, STREAM_REQUEST, nowMs));
}

/**
 * `GET /catalogue-changes`: `: ready` once listening, then `data: changed` per change; only for the
 * gateway. The products subgraph serves no subscriptions, so `startSubgraph` does not start its
 * event listener: this does (once, for the process; `stop()` closes it with the pub/sub).
 */
export function catalogueChangesRoute(app: express.Express, runtime: JobRuntime): void {
  const listening = runtime.pubsub.connect(runtime.databaseUrl).then(
    () => true,
    (error: unknown) => {
      runtime.log.warn({ err: error }, 'could not listen for catalogue changes: the gateways bypass their response caches');
      return false;
    },
  );
  app.get(CATALOGUE_CHANGES_PATH, async (req, res) => {
    let auth: unknown;
    try {
      auth = JSON.parse(String(req.headers[CATALOGUE_CHANGES_AUTH_HEADER] ?? '').slice(0, 2000));
    } catch {
      auth = null;
    }
    const verified = verifyForwardedAuth(gatewaySharedSecret(runtime.env), auth, STREAM_REQUEST, {
      maxAgeSeconds: gatewaySignatureMaxAgeSeconds(runtime.env),
      nowMs: runtime.clock.now().getTime(),
    });
    if (!verified.trusted) {
      res.status(403).json({ error: 'gateway signature required' });
      return;
    }
    if (!(await listening)) {
      res.status(503).json({ error: 'not listening for catalogue changes' });
      return;
    }
    // Listening (synchronously) before `ready` is sent: nothing committed after it is missed.
    const events = runtime.pubsub.subscribeFrom(runtime.orm.em.fork() as EntityManager, CATALOGUE_CHANGED_TOPIC, null);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': ready\n\n');
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const end = () => {
      clearInterval(heartbeat);
      void events.return?.(undefined);
    };
    res.on('close', end);
    void (async () => {
      for await (const event of events) res.write(`id: ${event.id}\ndata: changed\n\n`);
    })().catch(() => res.destroy());
  });
}
