/**
 * Leases keep gc off blobs that a writer has put in the store but no tag reaches yet (layers written before
 * their manifest is tagged). Each Layout handle has one lease file, `.ckpt-leases/<pid>-<random>`, listing
 * such digests; gc honours the leases of live processes and deletes those of dead ones.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigest, type Digest } from '../oci/digest.js';
import { DIR_MODE, errno, FILE_MODE, processAlive } from './files.js';

const LEASE = /^(\d+)-[0-9a-f]{16}$/;

export class Lease {
  readonly #dir: string;
  #file: string | undefined;
  readonly #pending = new Set<Digest>();
  /** File updates run one at a time, so an append never lands in a file being replaced. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /**
   * Records a digest before its blob is renamed into place: gc lists blobs before it reads leases, so a blob
   * it sees is always already leased.
   */
  hold(digest: Digest): Promise<void> {
    return this.#serial(async () => {
      if (this.#pending.has(digest)) return;
      this.#file ??= this.#newName();
      await mkdir(this.#dir, { recursive: true, mode: DIR_MODE });
      await appendFile(this.#file, `${digest}\n`, { mode: FILE_MODE });
      this.#pending.add(digest);
    });
  }

  /** Drops digests a tag now reaches. Called under the store lock, so gc never reads a half-written lease. */
  settle(reached: Iterable<Digest>): Promise<void> {
    return this.#serial(async () => {
      const before = this.#pending.size;
      for (const digest of reached) this.#pending.delete(digest);
      if (this.#pending.size === before) return;
      const old = this.#file;
      this.#file = undefined;
      if (this.#pending.size > 0) {
        this.#file = this.#newName();
        await writeFile(this.#file, [...this.#pending].map((d) => `${d}\n`).join(''), { flag: 'wx', mode: FILE_MODE });
      }
      if (old) await unlink(old).catch(() => undefined);
    });
  }

  /** Gives up every pending blob (an abandoned write), leaving them to gc. */
  release(): Promise<void> {
    return this.settle([...this.#pending]);
  }

  #newName(): string {
    return join(this.#dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** The digests leased by live processes; with `removeDead`, deletes the lease files of dead ones. */
export async function leasedDigests(dir: string, removeDead: boolean): Promise<Set<Digest>> {
  const leased = new Set<Digest>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (errno(err) === 'ENOENT') return leased;
    throw err;
  }
  for (const name of names) {
    const pid = Number(LEASE.exec(name)?.[1] ?? NaN);
    if (Number.isNaN(pid)) continue;
    if (!processAlive(pid)) {
      if (removeDead) await unlink(join(dir, name)).catch(() => undefined);
      continue;
    }
    const text = await readFile(join(dir, name), 'utf8').catch(() => '');
    for (const line of text.split('\n')) if (isDigest(line)) leased.add(line);
  }
  return leased;
}
