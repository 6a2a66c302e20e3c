/** The image config from untrusted bytes: the fields the engine uses, each checked. */
import { EngineError, preview } from '../errors.js';
import { parseDigest } from './digest.js';
import { array, object, optionalString, optionalStringMap, optionalStrings, parseJsonObject, string } from './json.js';
import { Limits } from './parse.js';
import type { ImageConfig } from './types.js';

export function parseImageConfig(bytes: Uint8Array, what = 'image config'): ImageConfig {
  const o = parseJsonObject(bytes, what, Limits.configBytes);
  const rootfs = object(o.rootfs, `${what} rootfs`);
  if (rootfs.type !== 'layers') throw new EngineError('INVALID_IMAGE', `${what} rootfs.type is ${preview(rootfs.type)}, not "layers"`);
  const config: ImageConfig = {
    architecture: string(o.architecture, `${what} architecture`),
    os: string(o.os, `${what} os`),
    rootfs: {
      type: 'layers',
      diff_ids: array(rootfs.diff_ids, `${what} rootfs.diff_ids`).map((d, i) => parseDigest(d, `${what} diff ID ${i + 1}`)),
    },
  };
  const variant = optionalString(o.variant, `${what} variant`);
  if (variant !== undefined) config.variant = variant;
  const created = optionalString(o.created, `${what} created`);
  if (created !== undefined) config.created = created;
  if (o.config !== undefined && o.config !== null) config.config = runConfig(o.config, `${what} config`);
  if (o.history !== undefined && o.history !== null) {
    config.history = array(o.history, `${what} history`).map((h, i) => history(h, `${what} history ${i + 1}`));
  }
  return config;
}

function runConfig(value: unknown, what: string): NonNullable<ImageConfig['config']> {
  const o = object(value, what);
  const fields = {
    Labels: optionalStringMap(o.Labels, `${what} Labels`),
    Env: optionalStrings(o.Env, `${what} Env`),
    Cmd: optionalStrings(o.Cmd, `${what} Cmd`),
    Entrypoint: optionalStrings(o.Entrypoint, `${what} Entrypoint`),
    WorkingDir: optionalString(o.WorkingDir, `${what} WorkingDir`),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function history(value: unknown, what: string): NonNullable<ImageConfig['history']>[number] {
  const o = object(value, what);
  if (o.empty_layer !== undefined && typeof o.empty_layer !== 'boolean') {
    throw new EngineError('INVALID_IMAGE', `${what} empty_layer is ${preview(o.empty_layer)}, not true or false`);
  }
  const fields = {
    created: optionalString(o.created, `${what} created`),
    created_by: optionalString(o.created_by, `${what} created_by`),
    comment: optionalString(o.comment, `${what} comment`),
    empty_layer: o.empty_layer as boolean | undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}
