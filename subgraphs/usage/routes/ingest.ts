/**
 * HTTP endpoints of the usage subgraph (mounted before `/graphql`), for services only
 * (`Authorization: Bearer <JWT>` with the role `service`, see `service-auth.ts`):
 *
 * - `POST /ingest/tyk`: a batch of Tyk analytics records, as a JSON array or as NDJSON (one
 *   record per line; any content type). Field names as the gateway writes them (`response_code`,
 *   `api_key`, …) or as the SQL pump stores them (`responsecode`, `apikey`, …). Answers
 *   `200 { accepted, duplicates, unmatched, rejected: [{ index, reason }], warnings, commitIssuedAt, committedAt, timingsMs }`
 *   (`timingsMs`: where the request's time went, in ms — `receive` (token check and body read) and `json`
 *   (body parse) besides the ingest's phases, `IngestResult.timingsMs`):
 *   malformed records are rejected one by one (index = position in the batch, 0-based; for NDJSON
 *   the line among non-empty lines), everything else lands in one transaction. 400 when the body
 *   is not a JSON array or NDJSON at all, 413 above `USAGE_INGEST_MAX_RECORDS` records or 64 MiB.
 *   A retried batch (same records, whenever sent) has no second effect: records are identified by
 *   a digest of their fields and stored once, so no `Idempotency-Key` header is needed (README.md).
 * - `POST /ingest/tyk/tail`: runs the analytics tailer now and answers what it read.
 */
import { performance } from 'node:perf_hooks';
import express from 'express';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../../../common/errors';
import type { JobRuntime } from '../../../common/server';
import { ingestAnalytics } from '../services/ingest';
import { InvalidJson } from '../services/records';
import { serviceTokenVerifier } from './service-auth';
import { usageConfig } from '../../../common/config';
import { tailAnalytics } from '../jobs/tail-analytics';
import { countIngest, countTail } from '../metrics';

export const INGEST_BODY_LIMIT = '64mb';

/** The records of a body: a JSON array, or NDJSON (unreadable lines become `InvalidJson`). */
export function parseBody(body: string): unknown[] | { error: string } {
  const text = body.replace(/^\uFEFF/, '').trim();
  if (!text) return [];
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return Array.isArray(parsed) ? parsed : { error: 'The body must be a JSON array of analytics records, or NDJSON.' };
    } catch (error) {
      return {
        error: `The body starts like a JSON array but is not valid JSON (${(error as Error).message}); send a JSON array or NDJSON.`,
      };
    }
  }
  const records: unknown[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    try {
      records.push(JSON.parse(trimmed));
    } catch {
      records.push(new InvalidJson('this line is not valid JSON'));
    }
  }
  return records;
}

export function usageRoutes(app: express.Express, runtime: JobRuntime): void {
  const verify = serviceTokenVerifier(runtime.env);
  const settings = usageConfig(runtime.env);
  const deps = { orm: runtime.orm, pubsub: runtime.pubsub, clock: runtime.clock, log: runtime.log };

  const authenticate: express.RequestHandler = (req, res, next) => {
    verify(req.headers.authorization).then((auth) => {
      if (auth.ok) return next();
      if (auth.status === 401) res.setHeader('www-authenticate', 'Bearer');
      res.status(auth.status).json({ error: auth.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', message: auth.message });
    }, next);
  };

  // When the request reached the route: `timingsMs.receive` (token check and body read) starts here.
  const received: express.RequestHandler = (_req, res, next) => {
    res.locals.receivedAt = performance.now();
    next();
  };

  app.post('/ingest/tyk', received, authenticate, express.text({ type: () => true, limit: INGEST_BODY_LIMIT }), async (req, res, next) => {
    try {
      const bodyRead = performance.now();
      const parsed = parseBody(typeof req.body === 'string' ? req.body : '');
      const bodyParsed = performance.now();
      if (!Array.isArray(parsed)) {
        res.status(400).json({ error: 'BAD_REQUEST', message: parsed.error });
        return;
      }
      if (parsed.length > settings.ingestMaxRecords) {
        res.status(413).json({
          error: 'PAYLOAD_TOO_LARGE',
          message: `At most ${settings.ingestMaxRecords} records per request (got ${parsed.length}): split the batch.`,
        });
        return;
      }
      const result = await ingestAnalytics(deps, parsed);
      countIngest(runtime.metrics, 'http', result);
      const ms = (from: number, to: number) => Math.round((to - from) * 10) / 10;
      res.json({
        ...result,
        timingsMs: { receive: ms(res.locals.receivedAt as number, bodyRead), json: ms(bodyRead, bodyParsed), ...result.timingsMs },
      });
    } catch (error) {
      next(error);
    }
  });

  app.post('/ingest/tyk/tail', authenticate, async (_req, res, next) => {
    try {
      const result = await tailAnalytics({ ...deps, env: runtime.env, databaseUrl: runtime.databaseUrl });
      countTail(runtime.metrics, result);
      res.json(result);
    } catch (error) {
      next(error);
    }
  });

  // Errors of these routes: body too large / unreadable, or unexpected (logged, masked).
  app.use('/ingest', ((error, _req, res, _next) => {
    const status = (error as { status?: number }).status;
    if (status === 413) {
      res.status(413).json({ error: 'PAYLOAD_TOO_LARGE', message: `The body is larger than ${INGEST_BODY_LIMIT}: split the batch.` });
      return;
    }
    if (status === 400) {
      res.status(400).json({ error: 'BAD_REQUEST', message: 'The body could not be read.' });
      return;
    }
    if (isDatabaseUnavailable(error)) {
      runtime.log.warn({ err: { message: (error as Error)?.message } }, 'usage ingest: database unavailable');
      res.setHeader('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      res.status(503).json({
        error: 'SERVICE_UNAVAILABLE',
        message: 'The database cannot be reached; the batch was not stored. Retry it after the Retry-After seconds (ingest is idempotent).',
        retryAfter: DATABASE_RETRY_AFTER_SECONDS,
      });
      return;
    }
    runtime.log.error({ err: error }, 'usage ingest failed');
    res.status(500).json({ error: 'INTERNAL_SERVER_ERROR', message: 'The batch was not stored; retry it (ingest is idempotent).' });
  }) as express.ErrorRequestHandler);
}
