/**
 * `COPY … FROM STDIN` in PostgreSQL's binary format, over the connection of an EntityManager's
 * transaction (pg-copy-streams): for bulk writes where an `insert … select from unnest(…)` costs
 * more than the rows themselves (the usage ingest's raw records).
 *
 * Binary, not text: every value is sent as its length and its bytes, so nothing in a value (tab,
 * newline, backslash, `\N`, quotes) can be read as a delimiter, an escape or NULL — there is no
 * escaping to get wrong — and the server skips parsing timestamps and UUIDs from text.
 * https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4
 */
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z). */
const PG_EPOCH_MICROS = 946_684_800_000_000;
const TWO_32 = 4_294_967_296;
const UUID_OID = 2950;
/** Largest CopyData message `copyIn` sends (rows may span messages: COPY's input is one byte stream). */
const COPY_DATA_BYTES = 1024 * 1024;
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** Value of a hex digit's UTF-16 code unit, -1 for any other code unit. */
const HEX = new Int8Array(65_536).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[65 + i] = HEX[97 + i] = 10 + i;
/** Where each of a UUID's 16 bytes starts in its text form. */
const UUID_BYTE_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/**
 * Fields in COPY's binary format (length, then bytes; -1 for NULL), appended to a growing buffer.
 * On its own it pre-encodes fields that many rows share (`bytes()`), for `BinaryCopyWriter.fields`.
 */
export class BinaryFields {
  protected buffer: Buffer;
  protected offset = 0;

  constructor(expectedBytes = 256) {
    this.buffer = Buffer.allocUnsafe(Math.max(expectedBytes, 64));
  }

  /** The fields written so far (a copy, safe to keep). */
  bytes(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.offset));
  }

  /** Fields pre-encoded by another `BinaryFields` (they count as that many fields of the row). */
  fields(encoded: Uint8Array): this {
    this.ensure(encoded.length);
    this.buffer.set(encoded, this.offset);
    this.offset += encoded.length;
    return this;
  }

  protected ensure(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + bytes));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }

  null(): this {
    this.ensure(4);
    this.buffer.writeInt32BE(-1, this.offset);
    this.offset += 4;
    return this;
  }

  /** `text` (UTF-8; PostgreSQL refuses NUL characters and invalid UTF-8 in text). */
  text(value: string | null): this {
    if (value === null) return this.null();
    this.ensure(4 + value.length * 3);
    const length = this.buffer.write(value, this.offset + 4, 'utf8');
    this.buffer.writeInt32BE(length, this.offset);
    this.offset += 4 + length;
    return this;
  }

  int2(value: number): this {
    this.ensure(6);
    this.buffer.writeInt32BE(2, this.offset);
    this.buffer.writeInt16BE(value, this.offset + 4);
    this.offset += 6;
    return this;
  }

  int4(value: number): this {
    this.ensure(8);
    this.buffer.writeInt32BE(4, this.offset);
    this.buffer.writeInt32BE(value, this.offset + 4);
    this.offset += 8;
    return this;
  }

  /** `timestamptz` from microseconds since the Unix epoch (an integer; exact in a double until 2255). */
  timestamptz(micros: number): this {
    if (!Number.isSafeInteger(micros)) throw new RangeError(`not a whole number of microseconds: ${micros}`);
    const value = micros - PG_EPOCH_MICROS;
    const high = Math.floor(value / TWO_32);
    this.ensure(12);
    this.buffer.writeInt32BE(8, this.offset);
    this.buffer.writeInt32BE(high, this.offset + 4);
    this.buffer.writeUInt32BE(value - high * TWO_32, this.offset + 8);
    this.offset += 12;
    return this;
  }

  /** `uuid` from its canonical text form (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, either case). */
  uuid(value: string | null): this {
    if (value === null) return this.null();
    if (value.length !== 36) throw new TypeError(`not a UUID: ${JSON.stringify(value)}`);
    this.ensure(20);
    const buffer = this.buffer;
    buffer.writeInt32BE(16, this.offset);
    if (value.charCodeAt(8) !== 45 || value.charCodeAt(13) !== 45 || value.charCodeAt(18) !== 45 || value.charCodeAt(23) !== 45) {
      throw new TypeError(`not a UUID: ${JSON.stringify(value)}`);
    }
    const at = this.offset + 4;
    for (let byte = 0; byte < 16; byte++) {
      const i = UUID_BYTE_AT[byte];
      const high = HEX[value.charCodeAt(i)];
      const low = HEX[value.charCodeAt(i + 1)];
      if (high < 0 || low < 0) throw new TypeError(`not a UUID: ${JSON.stringify(value)}`);
      buffer[at + byte] = (high << 4) | low;
    }
    this.offset += 20;
    return this;
  }

  /** `uuid[]`: a one-dimensional array without NULLs (an empty list is `{}`). */
  uuidArray(values: readonly string[]): this {
    if (!values.length) {
      this.ensure(16);
      this.buffer.writeInt32BE(12, this.offset);
      this.buffer.writeInt32BE(0, this.offset + 4); // dimensions
      this.buffer.writeInt32BE(0, this.offset + 8); // no NULLs
      this.buffer.writeInt32BE(UUID_OID, this.offset + 12);
      this.offset += 16;
      return this;
    }
    this.ensure(24 + values.length * 20);
    this.buffer.writeInt32BE(20 + values.length * 20, this.offset);
    this.buffer.writeInt32BE(1, this.offset + 4); // dimensions
    this.buffer.writeInt32BE(0, this.offset + 8); // no NULLs
    this.buffer.writeInt32BE(UUID_OID, this.offset + 12);
    this.buffer.writeInt32BE(values.length, this.offset + 16);
    this.buffer.writeInt32BE(1, this.offset + 20); // lower bound
    this.offset += 24;
    for (const value of values) this.uuid(value);
    return this;
  }
}

/**
 * Builds the body of a `COPY … FROM STDIN (FORMAT binary)`: call `row(n)` and then exactly n
 * field writers per row, in the statement's column order; `finish()` gives the bytes.
 */
export class BinaryCopyWriter extends BinaryFields {
  constructor(expectedBytes = 64 * 1024) {
    super(expectedBytes);
    SIGNATURE.copy(this.buffer, 0);
    this.offset = SIGNATURE.length;
    this.buffer.writeInt32BE(0, this.offset); // flags: no OIDs
    this.buffer.writeInt32BE(0, this.offset + 4); // no header extension
    this.offset += 8;
  }

  /** Starts a row of `fields` columns. */
  row(fields: number): this {
    this.ensure(2);
    this.buffer.writeInt16BE(fields, this.offset);
    this.offset += 2;
    return this;
  }

  /** The COPY body (with its trailer); the writer is spent. */
  finish(): Buffer {
    this.ensure(2);
    this.buffer.writeInt16BE(-1, this.offset);
    this.offset += 2;
    return this.buffer.subarray(0, this.offset);
  }
}

/**
 * Runs `sql` (a `COPY … FROM STDIN`) with `data` as its input on the connection of `em`'s
 * transaction, so the rows commit or roll back with everything else the transaction wrote.
 * Resolves to the number of rows copied; rejects with PostgreSQL's error (its `code` intact).
 */
export async function copyIn(em: EntityManager, sql: string, data: Buffer): Promise<number> {
  const trx = em.getTransactionContext() as Knex.Transaction | undefined;
  if (!trx) throw new Error('copyIn runs inside a transaction (em.transactional)');
  // A transaction's knex client always hands out the transaction's own connection.
  const connection = (await trx.client.acquireConnection()) as pg.ClientBase;
  const stream = connection.query(copyFrom(sql));
  return new Promise<number>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', () => resolve(stream.rowCount));
    // CopyData messages of at most 1 MiB (views, not copies): the server reads each message whole.
    for (let at = 0; at < data.length; at += COPY_DATA_BYTES) stream.write(data.subarray(at, at + COPY_DATA_BYTES));
    stream.end();
  });
}
