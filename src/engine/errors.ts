/** Stable codes a caller can branch on; the message says what was being done and why it failed. */
export type EngineErrorCode =
  | 'INVALID_ARGUMENT'
  | 'PODMAN_NOT_FOUND'
  | 'PODMAN_FAILED'
  | 'NEEDS_ROOT'
  | 'CRIU_FAILED'
  /** CRIU (or podman around it) made no progress for the stall timeout and was stopped. */
  | 'CRIU_STALLED'
  | 'CONTAINER_NOT_FOUND'
  | 'CONTAINER_NOT_RUNNING'
  | 'IMAGE_NOT_FOUND'
  | 'NOT_A_CHECKPOINT_IMAGE'
  | 'RUNTIME_MISMATCH'
  | 'NAME_IN_USE'
  | 'NOTHING_DONE'
  | 'CANCELLED'
  /** Content does not hash to, or is not the size of, its descriptor. */
  | 'DIGEST_MISMATCH'
  /** A manifest, index, config or digest from outside is malformed or too large. */
  | 'INVALID_IMAGE'
  /** A well-formed thing the engine does not take (Docker v2s2 manifests, sha512). */
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** A store lacks a blob it was asked for or that a manifest names. */
  | 'BLOB_NOT_FOUND'
  /** A folder is not an OCI image layout, or its files are not what they should be. */
  | 'INVALID_LAYOUT'
  /** Another process held a store's lock for too long. */
  | 'STORE_BUSY'
  /** Not a tar, gzip or zstd stream at all (wrong magic bytes). */
  | 'NOT_AN_ARCHIVE'
  /** Truncated or damaged compressed data or tar headers. */
  | 'ARCHIVE_CORRUPT'
  /** A readable archive that is not a complete checkpoint (no inventory.img, bad config.dump, ...). */
  | 'NOT_A_CHECKPOINT_ARCHIVE'
  /** An entry that would write outside the target, link out of it, or create a device, fifo, ... */
  | 'UNSAFE_ENTRY'
  /** More entries, bytes, compression ratio or name length than the configured limits allow. */
  | 'ARCHIVE_LIMIT_EXCEEDED'
  /** The disk refused a write while extracting (full, read-only, ...). */
  | 'EXTRACT_FAILED'
  /** zstd data on a Node without zstd (before 22.15) and without the zstd-napi fallback. */
  | 'ZSTD_UNAVAILABLE'
  /** No connection to a registry (refused, DNS, reset) after the retries. */
  | 'REGISTRY_UNREACHABLE'
  /** The registry's certificate was refused, or it does not speak TLS. */
  | 'REGISTRY_TLS'
  /** 401/403: credentials missing, wrong, or without the rights asked. */
  | 'REGISTRY_DENIED'
  /** Any other answer the registry should not have given (5xx after the retries, unexpected statuses). */
  | 'REGISTRY_FAILED'
  /** The registry does not do what was asked (catalog, deletes, ...). */
  | 'REGISTRY_UNSUPPORTED'
  /** A restore's preflight found something that would make it fail or must not happen. */
  | 'PREFLIGHT_FAILED';

export interface EngineErrorDetails {
  /** What the user can do next, in one sentence. */
  hint?: string;
  /** The tail of CRIU's dump.log / restore.log, or of a tool's stderr. */
  log?: string;
  /** Where the full log lives, when known. */
  logPath?: string;
  cause?: unknown;
}

export class EngineError extends Error {
  override readonly name = 'EngineError';
  readonly hint?: string;
  readonly log?: string;
  readonly logPath?: string;

  constructor(
    readonly code: EngineErrorCode,
    message: string,
    details: EngineErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.hint = details.hint;
    this.log = details.log;
    this.logPath = details.logPath;
  }
}

/** Checks by name and code, not instanceof, so it holds across two bundled copies of the engine. */
export function isEngineError(err: unknown, code?: EngineErrorCode): err is EngineError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'EngineError' &&
    (code === undefined || (err as { code?: unknown }).code === code)
  );
}

/** One readable block for a terminal or a log: message, next step, log tail. */
export function describeError(err: unknown): string {
  if (!isEngineError(err)) return err instanceof Error ? err.message : String(err);
  const parts = [err.message];
  if (err.hint) parts.push(`Next step: ${err.hint}`);
  if (err.log) parts.push(`--- ${err.logPath ?? 'log'} (last lines) ---\n${err.log}`);
  return parts.join('\n');
}

/** The signal's abort as CANCELLED, so callers branch on one code whatever was running. */
export function cancelled(what: string, signal: AbortSignal | undefined): EngineError {
  return new EngineError('CANCELLED', `cancelled: ${what}`, { cause: signal?.reason });
}

/** A stranger's value as JSON (strings quoted, control characters escaped), cut short, safe to put in a message. */
export function preview(value: unknown, max = 80): string {
  const text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? JSON.stringify(String(value)));
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
