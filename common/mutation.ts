import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { userError, UserErrorException, type UserError } from './errors';
import type { SubgraphContext } from './server';

/** Collects validation failures of one input, then throws them together. */
export class Validation {
  readonly errors: UserError[] = [];

  fail(field: string, message: string, code = 'VALIDATION_FAILED'): this {
    this.errors.push(userError(code, field, message));
    return this;
  }

  check(ok: boolean, field: string, message: string, code = 'VALIDATION_FAILED'): this {
    if (!ok) this.fail(field, message, code);
    return this;
  }

  /** Throws a UserErrorException when any check failed. */
  done(): void {
    if (this.errors.length) throw new UserErrorException(this.errors);
  }
}

export interface MutationOptions {
  /** Maps a unique-constraint name to the input field that clashed. */
  uniqueFields?: Record<string, { field: string; message: string }>;
}

/**
 * Runs a mutation in one transaction. Expected failures (UserErrorException, known unique
 * constraints) roll everything back and come back as the payload's `errors`; nothing is
 * half-written.
 */
export async function runMutation<P extends object>(
  context: SubgraphContext,
  work: (em: EntityManager) => Promise<P>,
  failed: (errors: UserError[]) => P,
  options: MutationOptions = {},
): Promise<P & { errors: UserError[] }> {
  try {
    const payload = await context.em.transactional((em) => work(em as EntityManager));
    return { errors: [], ...payload };
  } catch (error) {
    if (error instanceof UserErrorException) return { ...failed(error.errors), errors: error.errors };
    if (error instanceof UniqueConstraintViolationException) {
      const constraint = (error as { constraint?: string }).constraint ?? '';
      const known = options.uniqueFields?.[constraint];
      if (known) {
        const errors = [userError('ALREADY_EXISTS', known.field, known.message)];
        return { ...failed(errors), errors };
      }
    }
    throw error;
  }
}
