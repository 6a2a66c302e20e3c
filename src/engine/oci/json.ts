/** Strict readers for JSON from outside: every field is checked, and a bad one is named in the error. */
import { EngineError, preview } from '../errors.js';

export type JsonObject = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses `bytes` as one JSON object, refusing more than `maxBytes` before decoding anything. */
export function parseJsonObject(bytes: Uint8Array, what: string, maxBytes: number): JsonObject {
  if (bytes.length > maxBytes) {
    throw new EngineError('INVALID_IMAGE', `${what} is ${bytes.length} bytes, more than the ${maxBytes} allowed`);
  }
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch (cause) {
    throw new EngineError('INVALID_IMAGE', `${what} is not valid JSON`, { cause });
  }
  return object(value, what);
}

export function object(value: unknown, what: string): JsonObject {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  throw new EngineError('INVALID_IMAGE', `${what} is not a JSON object`);
}

export function string(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  throw new EngineError('INVALID_IMAGE', `${what} is ${preview(value)}, not a string`);
}

export function optionalString(value: unknown, what: string): string | undefined {
  return value === undefined ? undefined : string(value, what);
}

export function array(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new EngineError('INVALID_IMAGE', `${what} is ${preview(value)}, not an array`);
}

export function optionalStrings(value: unknown, what: string): string[] | undefined {
  return value === undefined || value === null ? undefined : array(value, what).map((v, i) => string(v, `${what}[${i}]`));
}

/** A string-to-string map. fromEntries defines own properties, so a `__proto__` key stays a plain key. */
export function optionalStringMap(value: unknown, what: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  return Object.fromEntries(Object.entries(object(value, what)).map(([k, v]) => [k, string(v, `${what} ${preview(k)}`)]));
}

/** A byte count: a non-negative integer that a double holds exactly. */
export function size(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new EngineError('INVALID_IMAGE', `${what} is ${preview(value)}, not a size in bytes`);
}

/** RFC 6838 type/subtype, which is all the image spec asks of a media type. */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export function mediaType(value: unknown, what: string): string {
  const text = string(value, what);
  if (MEDIA_TYPE.test(text)) return text;
  throw new EngineError('INVALID_IMAGE', `${what} ${preview(text)} is not a media type`);
}
