/**
 * Just enough of the protobuf wire format to read CRIU's images (proto2, decoded by protobuf-c there): varints,
 * fixed 32/64-bit values and length-delimited bytes, by field number. Unknown fields are skipped, as protobuf-c
 * does; a singular field that occurs twice is refused, since protobuf-c would merge or overwrite it and a
 * check must read exactly what the restore will.
 */

/** Bytes that are not what they should be; the image reader says which file. */
export class MalformedError extends Error {
  override readonly name = 'MalformedError';
}

type WireValue = bigint | Buffer;

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

export class Message {
  private constructor(private readonly fields: ReadonlyMap<number, readonly WireValue[]>) {}

  static decode(bytes: Buffer): Message {
    const fields = new Map<number, WireValue[]>();
    const cursor = new Cursor(bytes);
    while (!cursor.done()) {
      const key = cursor.varint();
      const number = Number(key >> 3n);
      const wire = Number(key & 7n);
      if (number === 0 || number > 0x1fffffff) throw new MalformedError(`field number ${number} is invalid`);
      const value =
        wire === VARINT ? cursor.varint()
        : wire === FIXED64 ? cursor.take(8).readBigUInt64LE()
        : wire === FIXED32 ? BigInt(cursor.take(4).readUInt32LE())
        : wire === BYTES ? cursor.take(Number(cursor.varint()))
        : undefined;
      if (value === undefined) throw new MalformedError(`field ${number} has wire type ${wire}, which CRIU's images do not use`);
      const values = fields.get(number);
      if (values) values.push(value);
      else fields.set(number, [value]);
    }
    return new Message(fields);
  }

  /** A uint32, enum or bool field: the low 32 bits, as protobuf-c keeps them. */
  uint32(field: number): number | undefined {
    const value = this.single(field);
    if (value === undefined) return undefined;
    if (typeof value !== 'bigint') throw new MalformedError(`field ${field} is bytes where a number belongs`);
    return Number(value & 0xffffffffn);
  }

  /** A repeated uint32 field, packed or not. */
  uint32s(field: number): number[] {
    const words: number[] = [];
    for (const value of this.fields.get(field) ?? []) {
      if (typeof value === 'bigint') words.push(Number(value & 0xffffffffn));
      else for (const packed = new Cursor(value); !packed.done(); ) words.push(Number(packed.varint() & 0xffffffffn));
    }
    return words;
  }

  string(field: number): string | undefined {
    const value = this.bytes(field);
    return value === undefined ? undefined : value.toString('utf8');
  }

  message(field: number): Message | undefined {
    const value = this.bytes(field);
    return value === undefined ? undefined : Message.decode(value);
  }

  private bytes(field: number): Buffer | undefined {
    const value = this.single(field);
    if (value !== undefined && typeof value === 'bigint') throw new MalformedError(`field ${field} is a number where bytes belong`);
    return value;
  }

  private single(field: number): WireValue | undefined {
    const values = this.fields.get(field) ?? [];
    if (values.length > 1) throw new MalformedError(`field ${field} occurs ${values.length} times in one message`);
    return values[0];
  }
}

/** A read position in a buffer that never reads past its end. */
class Cursor {
  #at = 0;

  constructor(private readonly bytes: Buffer) {}

  done(): boolean {
    return this.#at >= this.bytes.length;
  }

  varint(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.done()) throw new MalformedError('a varint runs past the end of the message');
      const byte = this.bytes[this.#at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
    throw new MalformedError('a varint is longer than 10 bytes');
  }

  take(n: number): Buffer {
    if (n > this.bytes.length - this.#at) throw new MalformedError(`a field of ${n} bytes runs past the end of the message`);
    return this.bytes.subarray(this.#at, (this.#at += n));
  }
}
