import { EngineError } from '../errors.js';

/**
 * JSON with sorted keys and no whitespace, as UTF-8: the same value always gives the same bytes, so the
 * manifests and configs the engine writes have reproducible digests. Foreign manifests are never re-encoded:
 * their digest is of the bytes as received.
 */
export function canonicalJson(value: unknown): Buffer {
  return Buffer.from(encode(value, '$'), 'utf8');
}

function encode(value: unknown, path: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new EngineError('INVALID_ARGUMENT', `canonical JSON: ${path} is ${value}, which JSON cannot hold`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item, i) => (item === undefined ? 'null' : encode(item, `${path}[${i}]`))).join(',')}]`;
  }
  if (typeof value === 'object') {
    const fields = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${encode((value as Record<string, unknown>)[key], `${path}.${key}`)}`);
    return `{${fields.join(',')}}`;
  }
  throw new EngineError('INVALID_ARGUMENT', `canonical JSON: ${path} is a ${typeof value}, which JSON cannot hold`);
}
