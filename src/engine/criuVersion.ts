import { EngineError } from './errors.js';

/** CRIU's version as podman writes it into annotations (major*10000 + minor*100 + patch) and as people read it. */
export interface CriuVersion {
  /** e.g. 40101 */
  number: number;
  /** e.g. "4.1.1" */
  text: string;
}

/** Parses `criu --version` output ("Version: 4.1.1" and optionally "GitID: ..."). */
export function parseCriuVersionOutput(output: string): CriuVersion {
  const m = /^Version:\s*(\d+)\.(\d+)(?:\.(\d+))?/m.exec(output);
  if (!m) {
    throw new EngineError('INVALID_ARGUMENT', `could not read a CRIU version from: ${output.trim().slice(0, 200)}`);
  }
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  return { number: major * 10000 + minor * 100 + patch, text: `${major}.${minor}.${patch}` };
}

/** Turns podman's integer form ("40101") into "4.1.1"; returns undefined for anything else. */
export function criuVersionFromNumber(value: string | number | undefined): CriuVersion | undefined {
  const n = typeof value === 'number' ? value : Number(String(value ?? '').trim());
  if (!Number.isInteger(n) || n <= 0 || n > 99_99_99) return undefined;
  const major = Math.floor(n / 10000);
  const minor = Math.floor((n % 10000) / 100);
  return { number: n, text: `${major}.${minor}.${n % 100}` };
}
