/**
 * Secrets in a checkpoint, from any reference, in the one pass that reads it: every dumped memory page of every
 * process, each process's environment and command line, and the files the container changed (rootfs-diff).
 * The report says what and where, never the secret: see findings.ts.
 */
import type { ImageReference } from '../reference.js';
import type { CheckpointPlaces } from '../checkpoint/source.js';
import { visitCheckpoint } from '../checkpoint/inspectCheckpoint.js';
import { detectSecrets, MAX_SECRET_LENGTH, type SecretMatch } from './detectors.js';
import { DEFAULT_FINDING_LIMIT, FindingCollector, type SecretFinding, type SecretWhere } from './findings.js';
import { scanningRuns, StreamScanner } from '../checkpoint/streamScanner.js';

export interface ScanOptions {
  signal?: AbortSignal;
  /** Distinct findings kept; past it the report says it is capped. Default 1000. */
  limit?: number;
  /** Called as memory and files are scanned (about every 8 MiB, and for each file). */
  onProgress?(progress: ScanProgress): void;
}

export interface ScanProgress {
  memoryBytes: number;
  files: number;
  fileBytes: number;
}

export interface ScanReport {
  /** The reference as given, normalised. */
  reference: string;
  findings: SecretFinding[];
  /** More distinct secrets were seen than `limit`; those past it are not in `findings`. */
  capped: boolean;
  limit: number;
  scanned: ScanProgress & { processes: number };
  /** What could not be scanned (memory not in the checkpoint, damaged images), in words. */
  notes: string[];
}

const PROGRESS_EVERY = 8 << 20;
/**
 * Kept from one piece for the next: the longest secret, plus the context detectors look back on; a secret ending
 * within 16 bytes of what has arrived may go on (a key's next line, a token's next character).
 */
const SECRET_SCAN = { keep: MAX_SECRET_LENGTH + 512, unsettled: 16 };

/** Finds secrets in bytes that arrive in pieces, `start` being the offset (a memory address) of the first. */
export function secretStream(onSecret: (m: SecretMatch, secret: string, at: bigint) => void, start?: bigint): StreamScanner<SecretMatch> {
  return new StreamScanner(detectSecrets, (m, window, windowStart) => onSecret(m, window.slice(m.start, m.end), windowStart + BigInt(m.start)), SECRET_SCAN, start);
}

/** Scans the checkpoint `ref` names for secrets (see ScanReport). */
export async function scanCheckpoint(places: CheckpointPlaces, ref: ImageReference, options: ScanOptions = {}): Promise<ScanReport> {
  const limit = options.limit ?? DEFAULT_FINDING_LIMIT;
  const collector = new FindingCollector(limit);
  const scanned: ScanProgress = { memoryBytes: 0, files: 0, fileBytes: 0 };
  let reported = 0;
  const progress = () => {
    reported = scanned.memoryBytes;
    options.onProgress?.({ ...scanned });
  };

  const runs = scanningRuns((pid, vaddr) => secretStream((m, secret, address) => collector.add({ ...m, where: 'memory', secret, pid, address }), vaddr));
  const memory = (pid: number, vaddr: bigint, bytes: Buffer) => {
    runs.visit(pid, vaddr, bytes);
    scanned.memoryBytes += bytes.length;
    if (scanned.memoryBytes - reported >= PROGRESS_EVERY) progress();
  };
  const rootfsFile = async (path: string, _size: number, body: AsyncIterable<Buffer>) => {
    const file = secretStream((m, secret) => collector.add({ ...m, where: 'rootfs-diff', secret, path }));
    for await (const chunk of body) {
      file.push(chunk);
      scanned.fileBytes += chunk.length;
    }
    file.end();
    scanned.files++;
    progress();
  };

  const inspection = await visitCheckpoint(places, ref, { memory, rootfsFile }, { memory: true, signal: options.signal });
  runs.end();

  const strings = (where: SecretWhere, pid: number, list: string[] | undefined) => {
    for (const text of list ?? []) for (const m of detectSecrets(text)) collector.add({ ...m, where, secret: text.slice(m.start, m.end), pid });
  };
  for (const p of inspection.contents.processes) {
    strings('environment', p.pid, p.environment);
    strings('cmdline', p.pid, p.cmdline);
  }
  progress();
  const comms = new Map(inspection.contents.processes.map((p) => [p.pid, p.comm]));
  return {
    reference: inspection.reference,
    findings: collector.findings().map((f) => (f.pid !== undefined && comms.has(f.pid) ? { ...f, comm: comms.get(f.pid) } : f)),
    capped: collector.capped,
    limit,
    scanned: { ...scanned, processes: inspection.contents.processes.length },
    notes: inspection.contents.notes,
  };
}
