/**
 * checkpointctl, the reference tests hold checkpoint inspection against (issue 12): Debian's 1.3.0, installed by
 * scripts/checkpointctl-setup.sh as $CKPT_HOME/bin/checkpointctl (a wrapper that runs the dynamically linked Go
 * binary through its own glibc 2.38+ loader). These helpers run it on an archive and return what it says, parsed.
 *
 * One adaptation, and only one: CRIU 4.2 writes each pagemap entry's page count in the new `nr_pages` (field 5,
 * uint64) and leaves the old `compat_nr_pages` (field 2) at 0; checkpointctl 1.3.0 (go-criu 7.2.0) reads only
 * field 2, so on such a checkpoint it sees no memory at all: every process 0 B, command lines of blanks, no
 * environment, memparse finds nothing (fixed upstream by checkpointctl PR #221's newer go-criu). CRIU itself reads
 * field 2 when field 5 is absent, so copying field 5 into field 2 gives the same checkpoint in the form 1.3.0
 * reads. `forCheckpointctl` makes that copy (a plain tar beside the archive) when, and only when, an entry needs
 * it; everything else checkpointctl reports is its own reading of the untouched images.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { CKPT_HOME } from './stack.js';
import { pb } from './criuImages.js';

const run = promisify(execFile);

export const CHECKPOINTCTL = join(CKPT_HOME, 'bin', 'checkpointctl');

/**
 * What is installed, as the setup recorded it ("checkpointctl 1.3.0+ds1-2+b5 from Debian trixie"): Debian's
 * build has no --version. Throws, saying how to install it, when there is none.
 */
export function checkpointctlVersion(): string {
  if (!existsSync(CHECKPOINTCTL)) {
    throw new Error(`checkpointctl is not installed at ${CHECKPOINTCTL}: run 'bash scripts/checkpointctl-setup.sh' (it needs this machine's Debian mirror)`);
  }
  return readFileSync(join(dirname(realpathSync(CHECKPOINTCTL)), '..', 'VERSION'), 'utf8').trim();
}

/** Runs checkpointctl with these arguments; its stdout, or an error carrying its stderr. */
export async function checkpointctl(...args: string[]): Promise<string> {
  checkpointctlVersion();
  try {
    const { stdout } = await run(CHECKPOINTCTL, args, { maxBuffer: 256 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`checkpointctl ${args.join(' ')}: ${e.stderr || e.message}`);
  }
}

// ---- inspect --format json ----

/**
 * One container of `checkpointctl inspect --all --format json` (1.3.0; the output is an array, one per archive).
 * Field names are checkpointctl's; optional ones are left out when empty (Go's omitempty).
 */
export interface CtlInspect {
  container_name: string;
  image: string;
  id: string;
  runtime: string;
  /** RFC 3339, seconds ("2026-12-04T06:45:41Z"). */
  created: string;
  engine: string; // "Podman"
  ip?: string;
  mac?: string;
  checkpoint_size: {
    /** Bytes of the checkpoint folder's images. */
    total_size?: number;
    /** Bytes of pages-*.img. */
    memory_pages_size?: number;
    amd_gpu_memory_pages_size?: number;
    /** Bytes of rootfs-diff.tar. */
    root_fs_diff_size?: number;
  };
  /** CRIU's dump statistics (stats-dump): times in microseconds. */
  statistics?: { freezing_time?: number; frozen_time?: number; memdump_time?: number; memwrite_time?: number; pages_scanned?: number; pages_written?: number };
  process_tree?: CtlProcess;
  file_descriptors?: Array<{ pid: number; open_files?: CtlOpenFile[] }>;
  sockets?: Array<{ pid: number; open_sockets?: CtlSocket[] }>;
  mounts?: CtlMount[];
}

export interface CtlProcess {
  pid: number;
  /** The task's comm (at most 15 characters). */
  command: string;
  /**
   * argv read from the memory pages, each NUL as a space (so it ends in one: "httpd -f -p 8080 -h /tmp/www ").
   * All blanks when checkpointctl could not read the pages (see the module comment).
   */
  cmdline?: string;
  /** The environment read from the memory pages. */
  environment_variables?: Record<string, string>;
  children?: CtlProcess[];
}

export interface CtlOpenFile {
  /** "REG", "PIPE", "INETSK", "UNIXSK", …; "" for the cwd and root entries. */
  type: string;
  /** The type and the fd number ("REG 3", "PIPE 1"), or "cwd" / "root". */
  fd: string;
  /** A path ("/tmp/held.txt"), "pipe[INODE]", "INETSK.ID", or "unix[INODE (PEER) NAME]". */
  path: string;
}

export interface CtlSocket {
  /** "TCP", "UDP", …; absent for unix sockets. */
  protocol?: string;
  data: {
    /** "TCP", "UDP", "UNIX", … */
    type: string;
    /** "LISTEN", "ESTABLISHED", … (inet sockets). */
    state?: string;
    src?: string;
    src_port?: number;
    dst?: string;
    dst_port?: number;
    /** Humanized ("16.0 KB"). */
    send_buf?: string;
    recv_buf?: string;
    /** Unix sockets: the bound name as stored, NUL terminator included ("/dev/log\u0000"). */
    address?: string;
  };
}

export interface CtlMount {
  destination: string;
  /** "proc", "tmpfs", "bind", … */
  type: string;
  source: string;
}

/** `checkpointctl inspect --all --format json` on the archive (adapted, see the module comment): its one container. */
export async function inspectWithCheckpointctl(archive: string): Promise<CtlInspect> {
  const out = JSON.parse(await checkpointctl('inspect', '--all', '--format', 'json', await forCheckpointctl(archive))) as CtlInspect[];
  if (out.length !== 1) throw new Error(`checkpointctl inspect gave ${out.length} containers for one archive`);
  return out[0]!;
}

/** Every process of a tree, depth first, parents before children. */
export function ctlProcesses(root: CtlProcess | undefined): CtlProcess[] {
  return root ? [root, ...(root.children ?? []).flatMap(ctlProcesses)] : [];
}

/** argv as checkpointctl gives it (NULs as spaces), the trailing space dropped. */
export function ctlCmdline(p: CtlProcess): string {
  return (p.cmdline ?? '').replace(/ $/, '');
}

// ---- memparse (tables, parsed) ----

/** A row of `checkpointctl memparse ARCHIVE`: a process's memory as checkpointctl sizes it. */
export interface CtlMemorySize {
  pid: number;
  /** comm. */
  name: string;
  /** As printed ("76.0 KiB"), and that read back as bytes (rounded as printed: to a tenth of its unit). */
  memory: string;
  memoryBytes: number;
  sharedMemory: string;
  sharedMemoryBytes: number;
}

/** A row of `checkpointctl memparse --pid P --search S [--context N] ARCHIVE`. */
export interface CtlMemoryMatch {
  /** Where the match starts in the process's address space. */
  address: bigint;
  /** The match with `context` bytes on each side; bytes that do not print are '?'. */
  match: string;
  /** 1, 2, … in address order. */
  instance: number;
}

/**
 * `memparse` without a PID: every process's memory size, by PID. memparse lists them in CRIU's tree walk, which
 * follows the kernel's child lists and is not always PID order (seen once on podman 5: 1, 10, 12, 7, 8, 9);
 * `ckpt inspect --memory` lists by PID.
 */
export async function memorySizesWithCheckpointctl(archive: string): Promise<CtlMemorySize[]> {
  const rows = tableRows(await checkpointctl('memparse', await forCheckpointctl(archive)));
  return rows.sort(([a], [b]) => Number(a) - Number(b)).map(([pid, name, memory, shared]) => ({
    pid: Number(pid),
    name: name!,
    memory: memory!,
    memoryBytes: humanBytes(memory!),
    sharedMemory: shared!,
    sharedMemoryBytes: humanBytes(shared!),
  }));
}

/** `memparse --pid PID --search TEXT [--context N]`: where TEXT is in that process's memory pages ([] for none). */
export async function searchMemoryWithCheckpointctl(archive: string, pid: number, text: string, context = 0): Promise<CtlMemoryMatch[]> {
  const args = ['memparse', '--pid', String(pid), '--search', text];
  if (context) args.push('--context', String(context));
  const out = await checkpointctl(...args, await forCheckpointctl(archive));
  if (/^No matches for pattern/m.test(out)) return [];
  return tableRows(out).map(([address, match, instance]) => ({ address: BigInt(`0x${address}`), match: match!, instance: Number(instance) }));
}

/** The data rows of checkpointctl's ASCII tables ("| a | b |"), each cell trimmed, the header row left out. */
function tableRows(out: string): string[][] {
  const rows = out.split('\n').filter((l) => l.startsWith('|')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  return rows.slice(1);
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** "76.0 KiB" → 77824 (go-units' binary sizes, as memparse prints them). */
export function humanBytes(text: string): number {
  const m = /^([\d.]+) ?([KMGT]?i?B)$/.exec(text.trim());
  if (!m || !(m[2]! in UNITS)) throw new Error(`not a size checkpointctl prints: '${text}'`);
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

// ---- the pagemap adaptation ----

const adapted = new Map<string, Promise<string>>();

/**
 * The archive in a form checkpointctl 1.3.0 reads in full: the archive itself when no pagemap entry needs
 * adapting, else a plain tar beside it (ARCHIVE.checkpointctl.tar) whose pagemap entries carry their page count
 * in field 2 as well. Made once per archive and run.
 */
export function forCheckpointctl(archive: string): Promise<string> {
  let found = adapted.get(archive);
  if (!found) adapted.set(archive, (found = adapt(archive)));
  return found;
}

async function adapt(archive: string): Promise<string> {
  const dir = mkdtempSync(join(dirname(archive), '.checkpointctl-'));
  try {
    // GNU tar recognises zstd and gzip by their magic on extraction.
    await run('tar', ['-C', dir, '-xf', archive]);
    const images = join(dir, 'checkpoint');
    let changed = false;
    for (const name of readdirSync(images).filter((n) => /^pagemap-\d+\.img$/.test(n))) {
      const bytes = readFileSync(join(images, name));
      const out = withCompatPageCounts(bytes);
      if (out) {
        writeFileSync(join(images, name), out);
        changed = true;
      }
    }
    if (!changed) return archive;
    const copy = `${archive}.checkpointctl.tar`;
    // Entry names as podman writes them (no "./" prefix).
    await run('tar', ['-C', dir, '-cf', copy, ...readdirSync(dir)]);
    return copy;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A pagemap image (two u32 magics, then u32-length-prefixed pagemap_head and pagemap_entry messages) with each
 * entry's field 5 (nr_pages) copied into field 2 (compat_nr_pages) where field 2 is 0; undefined when no entry
 * needed it. Every other field keeps its bytes.
 */
export function withCompatPageCounts(bytes: Buffer): Buffer | undefined {
  const parts: Buffer[] = [bytes.subarray(0, 8)];
  let changed = false;
  for (let at = 8, index = 0; at < bytes.length; index++) {
    const length = bytes.readUInt32LE(at);
    let message = bytes.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    if (index > 0) {
      const fields = varintFields(message);
      const compat = fields.find((f) => f.number === 2);
      const pages = fields.find((f) => f.number === 5);
      if (pages && (!compat || compat.value === 0n) && pages.value > 0n && pages.value <= 0xffffffffn) {
        const count = pb([2, pages.value]);
        // In field 2's place, or where CRIU writes it: after vaddr (field 1).
        const raws = compat ? fields.map((f) => (f === compat ? count : f.raw)) : [fields[0]!.raw, count, ...fields.slice(1).map((f) => f.raw)];
        message = Buffer.concat(raws);
        changed = true;
      }
    }
    const head = Buffer.alloc(4);
    head.writeUInt32LE(message.length);
    parts.push(head, message);
  }
  return changed ? Buffer.concat(parts) : undefined;
}

/** A pagemap_entry's fields (all varints); each with its raw bytes, key included. */
function varintFields(message: Buffer): Array<{ number: number; value: bigint; raw: Buffer }> {
  const fields = [];
  for (let at = 0; at < message.length; ) {
    const start = at;
    const [key, afterKey] = readVarint(message, at);
    if ((key & 7n) !== 0n) throw new Error(`pagemap entry field ${key >> 3n} is not a varint (wire type ${key & 7n})`);
    const [value, end] = readVarint(message, afterKey);
    fields.push({ number: Number(key >> 3n), value, raw: message.subarray(start, end) });
    at = end;
  }
  return fields;
}

function readVarint(bytes: Buffer, at: number): [bigint, number] {
  let value = 0n;
  for (let shift = 0n; ; shift += 7n) {
    if (at >= bytes.length) throw new Error('a varint runs past the end of a pagemap entry');
    const byte = bytes[at++]!;
    value |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return [value, at];
  }
}
