/**
 * The CRIU images of a checkpoint that say what its tasks may do and what they see mounted, decoded one by one
 * as a reader meets them (never the memory pages), and judged at the end.
 */
import { EngineError } from '../errors.js';
import { criuImageFindings, type CriuTask } from './findings.js';
import { decodeCore, decodeCreds, decodeMountpoints, type MountEntry, type TaskCore, type TaskCreds } from './images.js';

const CHECKED = /^checkpoint\/(core|creds|mountpoints)-(\d+)\.img$/;
/** All checked images together: a container of thousands of tasks has some MiB of core images. */
const MAX_TOTAL_BYTES = 256 << 20;

/** Whether `path` (in a checkpoint archive or folder) is an image the checks read. */
export function isCheckedCriuImage(path: string): boolean {
  return CHECKED.test(path);
}

export class CheckpointCriuImages {
  readonly #cores = new Map<number, TaskCore>();
  readonly #creds = new Map<number, TaskCreds>();
  readonly #mounts: MountEntry[][] = [];
  #bytes = 0;

  /** Decodes one checked image; `what` names the checkpoint in errors. */
  add(path: string, bytes: Buffer, what: string): void {
    const match = CHECKED.exec(path);
    if (!match) return;
    this.#bytes += bytes.length;
    if (this.#bytes > MAX_TOTAL_BYTES) {
      throw new EngineError('ARCHIVE_LIMIT_EXCEEDED', `${what}: its CRIU core, creds and mountpoints images take more than ${MAX_TOTAL_BYTES} bytes together`);
    }
    const name = `${what}: ${path}`;
    const id = Number(match[2]);
    if (match[1] === 'core') this.#cores.set(id, decodeCore(bytes, name));
    else if (match[1] === 'creds') this.#creds.set(id, decodeCreds(bytes, name));
    else this.#mounts.push(decodeMountpoints(bytes, name));
  }

  findings(): string[] {
    const tasks = [...this.#cores]
      .sort(([a], [b]) => a - b)
      .map(([id, core]): CriuTask => ({
        id,
        comm: core.comm,
        // Images older than CRIU 2.x keep them in creds-<pid>.img; with no thread state at all CRIU restores none.
        creds: core.creds ?? (core.hasThreadState ? this.#creds.get(id) : undefined),
        seccompMode: core.seccompMode,
      }));
    return criuImageFindings({ tasks, mountNamespaces: this.#mounts });
  }
}
