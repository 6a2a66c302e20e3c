/**
 * CRIU's images are proto2 messages that CRIU decodes with protobuf-c; we decode them with protobufjs, after a
 * guard pass (protobufjs's own Reader, no wire parser of ours) that refuses what the two libraries would read
 * differently, so a check sees the values a restore will use:
 * - a singular field that occurs twice: protobuf-c overwrites a number but merges an embedded message field by
 *   field, protobufjs merges differently (and a reader could pick either occurrence);
 * - a known field in a wire type its type does not take: protobuf-c fails, protobufjs skips it as unknown;
 * - groups (wire types 3 and 4) and varints longer than 10 bytes, which protobuf-c refuses.
 * Unknown fields are skipped, as both do. Embedded messages are guarded at every depth (to MAX_DEPTH).
 */
import type protobuf from 'protobufjs/light.js';

/**
 * protobufjs, loaded at the first decode: with the schema it builds, it costs about 15 ms of every start, and
 * most commands decode no CRIU image (issue 14). The bundler keeps it inside.
 */
export function protobufjs(): typeof protobuf {
  return require('protobufjs/light.js') as typeof protobuf;
}

/** Bytes that are not what they should be; the image reader says which file. */
export class MalformedError extends Error {
  override readonly name = 'MalformedError';
}

/** Deeper than any CRIU message nests (core → thread core → creds is three). */
const MAX_DEPTH = 16;

const VARINT = 0;
/** The wire type of each scalar type but the varint ones. */
const WIRE: Record<string, number> = { double: 1, fixed64: 1, sfixed64: 1, float: 5, fixed32: 5, sfixed32: 5, string: 2, bytes: 2 };

/** A message of `type` from `bytes`, as a plain object holding only the fields present; 64-bit numbers as decimal strings. */
export function decodeMessage<T>(type: protobuf.Type, bytes: Uint8Array): T {
  try {
    guard(type, bytes, 0);
    return type.toObject(type.decode(bytes), { longs: String }) as T;
  } catch (err) {
    if (err instanceof MalformedError) throw err;
    // protobufjs's Reader says "index out of range: …" or "invalid varint encoding".
    const message = err instanceof Error ? err.message : String(err);
    throw new MalformedError(/index out of range/.test(message) ? 'a field runs past the end of the message' : message, { cause: err });
  }
}

function guard(type: protobuf.Type, bytes: Uint8Array, depth: number): void {
  if (depth > MAX_DEPTH) throw new MalformedError(`messages nest deeper than ${MAX_DEPTH} levels`);
  const reader = protobufjs().Reader.create(bytes);
  const counts = new Map<number, number>();
  while (reader.pos < reader.len) {
    const key = reader.uint32();
    const number = key >>> 3;
    const wire = key & 7;
    if (number === 0) throw new MalformedError('field number 0 is invalid');
    if (wire !== 0 && wire !== 1 && wire !== 2 && wire !== 5) throw new MalformedError(`field ${number} has wire type ${wire}, which CRIU's images do not use`);
    const field = type.fieldsById[number];
    if (!field) {
      skip(reader, wire);
      continue;
    }
    const embedded = field.resolve().resolvedType instanceof protobufjs().Type ? (field.resolvedType as protobuf.Type) : undefined;
    const expected = embedded ? 2 : (WIRE[field.type] ?? VARINT);
    const packed = field.repeated && expected !== 2 && wire === 2;
    if (wire !== expected && !packed) throw new MalformedError(`field ${number} has wire type ${wire}, where its type takes ${expected}`);
    if (!field.repeated) counts.set(number, (counts.get(number) ?? 0) + 1);
    if (embedded) guard(embedded, reader.bytes(), depth + 1);
    else if (packed) for (const values = protobufjs().Reader.create(reader.bytes()); values.pos < values.len; ) skip(values, expected);
    else skip(reader, wire);
  }
  for (const [number, count] of counts) if (count > 1) throw new MalformedError(`field ${number} occurs ${count} times in one message`);
}

function skip(reader: protobuf.Reader, wire: number): void {
  const at = reader.pos;
  reader.skipType(wire);
  if (wire === VARINT && reader.pos - at > 10) throw new MalformedError('a varint is longer than 10 bytes');
}

/** A 64-bit field as toObject gives it (a decimal string) or a 32-bit one, as a bigint; absent is 0. */
export function big(value: string | number | undefined): bigint {
  return value === undefined ? 0n : BigInt(value);
}
