/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com), made by the `standardwebhooks`
 * library: `webhook-id`, `webhook-timestamp` (seconds, real time: receivers check it against
 * theirs) and `webhook-signature` (`v1,<base64 HMAC-SHA256>`), one signature per secret in use,
 * separated by spaces, so a receiver that knows either the new or the old secret during a
 * rotation's overlap accepts the delivery.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new signing secret: `whsec_` and 32 random bytes in base64 (the form the libraries take). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The three Standard Webhooks headers of one attempt, signed with every secret given (newest first). */
export function signedHeaders(messageId: string, sentAt: Date, body: string, secrets: string[]): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(messageId, sentAt, body));
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
