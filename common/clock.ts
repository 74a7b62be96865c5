/**
 * The time source of every rule that depends on "now" (quota windows, access-request limits,
 * expiry, grace periods). Production uses the system clock; tests inject a controllable one.
 */
export interface Clock {
  now(): Date;
}

/** The one place product code reads the system clock; everything else is handed a Clock. */
export const systemClock: Clock = { now: () => new Date() };

/**
 * Entity timestamps (`createdAt`, `updatedAt`, …) come from the clock of the ORM that writes them.
 * `initOrm` (`common/db.ts`) registers its clock for the ORM's configuration, which every forked
 * and transactional EntityManager of that ORM shares, and the entities' properties declare
 * `onCreate: entityNow` / `onUpdate: entityNow`, MikroORM hooks that receive the EntityManager.
 * `initOrm` also turns on `processOnCreateHooksEarly`, so `em.create()` fills a creation time at
 * once: code may read it before the flush (event payloads, responses). An entity built with `new`
 * gets it at its first flush unless the code set it.
 * Keyed weakly, so a closed ORM takes its entry with it; a subgraph's request and job ORMs each
 * register the subgraph's clock.
 */
const ormClocks = new WeakMap<object, Clock>();

/** Makes `clock` the time source of the entity hooks of every EntityManager with this configuration. */
export function registerOrmClock(config: object, clock: Clock): void {
  ormClocks.set(config, clock);
}

/** "Now" by the clock of the ORM `em` belongs to (for rows written with SQL where an entity would take `entityNow`). */
export function ormNow(em: { config: object }): Date {
  const clock = ormClocks.get(em.config);
  // Failing loudly beats a silent wall-clock read: every ORM of the platform is made by initOrm.
  if (!clock) throw new Error('no clock registered for this ORM (create it with initOrm)');
  return clock.now();
}

/** "Now" for an entity timestamp (a MikroORM `onCreate`/`onUpdate` hook): the clock of the writing ORM. */
export function entityNow(_entity: unknown, em: { config: object }): Date {
  return ormNow(em);
}
