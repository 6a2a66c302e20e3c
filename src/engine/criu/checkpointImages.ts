/**
 * The CRIU images of a checkpoint that say what its tasks may do and what they see mounted, decoded one by one
 * as a reader meets them (never the memory pages), and judged at the end.
 */
import { EngineError } from '../errors.js';
import { criuImageFindings, sameNamespace, type CriuTask } from './findings.js';
import { decodeCore, decodeCreds, decodeIds, decodeInventory, decodeMountpoints, type MountEntry, type NamespaceIds, type TaskCore, type TaskCreds } from './images.js';

const CHECKED = /^checkpoint\/(?:(core|creds|ids|mountpoints)-(\d+)|(inventory))\.img$/;
/** All checked images together: a container of thousands of tasks has some MiB of core images. */
const MAX_TOTAL_BYTES = 256 << 20;

/** Whether `path` (in a checkpoint archive or folder) is an image the checks read. */
export function isCheckedCriuImage(path: string): boolean {
  return CHECKED.test(path);
}

export class CheckpointCriuImages {
  readonly #cores = new Map<number, TaskCore>();
  readonly #creds = new Map<number, TaskCreds>();
  readonly #ids = new Map<number, NamespaceIds | undefined>();
  readonly #mounts: MountEntry[][] = [];
  #rootIds?: NamespaceIds;
  #bytes = 0;

  /** Decodes one checked image; `what` names the checkpoint in errors. */
  add(path: string, bytes: Buffer, what: string): void {
    const match = CHECKED.exec(path);
    if (!match) return;
    this.#bytes += bytes.length;
    if (this.#bytes > MAX_TOTAL_BYTES) {
      throw new EngineError('ARCHIVE_LIMIT_EXCEEDED', `${what}: its CRIU inventory, core, creds, ids and mountpoints images take more than ${MAX_TOTAL_BYTES} bytes together`);
    }
    const name = `${what}: ${path}`;
    const id = Number(match[2]);
    if (match[3]) this.#rootIds = decodeInventory(bytes, name).rootIds;
    else if (match[1] === 'core') this.#cores.set(id, decodeCore(bytes, name));
    else if (match[1] === 'ids') this.#ids.set(id, decodeIds(bytes, name));
    else if (match[1] === 'creds') this.#creds.set(id, decodeCreds(bytes, name));
    else this.#mounts.push(decodeMountpoints(bytes, name));
  }

  /**
   * Whether CRIU would put a task in the network namespace it runs in itself, the host's: the task's namespace
   * is the one CRIU dumped from (the inventory's root_ids). The spec does not decide this; the images do.
   */
  sharesHostNetwork(): boolean {
    return [...this.#ids.values()].some((ids) => sameNamespace(ids, this.#rootIds, 'net'));
  }

  findings(): string[] {
    return criuImageFindings({ tasks: this.#tasks(), mountNamespaces: this.#mounts, rootIds: this.#rootIds });
  }

  #tasks(): CriuTask[] {
    return [...this.#cores]
      .sort(([a], [b]) => a - b)
      .map(([id, core]): CriuTask => ({
        id,
        comm: core.comm,
        // Images older than CRIU 2.x keep them in creds-<pid>.img; with no thread state at all CRIU restores none.
        creds: core.creds ?? (core.hasThreadState ? this.#creds.get(id) : undefined),
        seccompMode: core.seccompMode,
        ids: this.#ids.get(id),
      }));
  }
}
