const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in canonical text form (every entity id in Plangraph is one). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** The nil UUID: stands for "none" where a key column cannot be null (unique indexes, rollups of unmatched usage). */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
