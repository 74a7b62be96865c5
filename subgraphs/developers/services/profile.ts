import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../../../common/auth';
import { runMutation, Validation, type MutationOptions } from '../../../common/mutation';
import type { UserError } from '../../../common/errors';
import type { SubgraphContext } from '../../../common/server';
import { Developer } from '../entities/developer';
import { recordWebhookEvent } from '../../../common/webhooks';
import { ormNow } from '../../../common/clock';

export const MAX_DISPLAY_NAME_LENGTH = 120;

/** A display name for a profile nobody named yet: the token's `name`, the email's local part, or the subject. */
export function defaultDisplayName(caller: Caller): string {
  const name = typeof caller.claims?.name === 'string' ? caller.claims.name.trim() : '';
  const fromEmail = caller.email ? caller.email.trim().split('@')[0] : '';
  const chosen = name || fromEmail || caller.subject || 'developer';
  return chosen.slice(0, MAX_DISPLAY_NAME_LENGTH);
}

/** The token's email as profiles keep it (trimmed), or null. */
export function tokenEmail(caller: Caller): string | null {
  const email = caller.email?.trim();
  return email ? email : null;
}

/**
 * The signed-in caller's profile, created from the token when missing (inside the caller's
 * transaction, so it is rolled back with a failed mutation). Safe under concurrency: two first
 * requests of one subject insert one row. Keeps the stored email in step with the token.
 */
export async function ensureDeveloper(em: EntityManager, caller: Caller, now: Date): Promise<Developer> {
  const subject = caller.requireAuthenticated();
  const email = tokenEmail(caller);
  let developer = await em.findOne(Developer, { subject });
  if (!developer) {
    await em.getConnection().execute(
      `insert into developers.developer (id, subject, email, display_name, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?) on conflict (subject) do nothing`,
      [randomUUID(), subject, email, defaultDisplayName(caller), now, now],
      'run',
      em.getTransactionContext(),
    );
    developer = await em.findOneOrFail(Developer, { subject }, { refresh: true });
  }
  if (email !== null && developer.email !== email) developer.email = email;
  return developer;
}

/**
 * `runMutation` for every developers mutation: one transaction that first makes sure the
 * signed-in caller has a profile ("the first call creates it"), then does the work.
 */
export function developerMutation<P extends object>(
  context: SubgraphContext,
  work: (em: EntityManager, developer: Developer) => Promise<P>,
  failed: (errors: UserError[]) => P,
  options: MutationOptions = {},
): Promise<P & { errors: UserError[] }> {
  context.caller.requireAuthenticated();
  return runMutation<P>(
    context,
    async (em) => {
      const developer = await ensureDeveloper(em, context.caller, context.clock.now());
      return work(em, developer);
    },
    failed,
    options,
  );
}

/** `registerDeveloper`: the caller's own profile (`developer`, made from the token) gets the display name. */
export async function registerDeveloper(
  em: EntityManager,
  developer: Developer,
  input: { displayName: string },
): Promise<{ developer: Developer | null }> {
  const displayName = input.displayName.trim();
  new Validation()
    .check(
      displayName.length >= 1 && displayName.length <= MAX_DISPLAY_NAME_LENGTH,
      'input.displayName',
      `Give a display name of 1 to ${MAX_DISPLAY_NAME_LENGTH} characters.`,
    )
    .done();
  developer.displayName = displayName;
  await em.flush();
  await recordWebhookEvent(em, {
    type: 'DEVELOPER_REGISTERED',
    organizationId: null,
    occurredAt: ormNow(em),
    data: { developerId: developer.id, subject: developer.subject },
  });
  return { developer };
}
