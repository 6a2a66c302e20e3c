import { open, stat } from 'node:fs/promises';
import { EngineError, type EngineErrorCode } from '../errors.js';

const TAIL_LINES = 25;
const TAIL_BYTES = 64 * 1024;
/** Where the cause of a CRIU failure is looked for: CRIU 4.2 writes a thousand lines between cause and end. */
const CAUSE_BYTES = 512 * 1024;

interface Rule {
  pattern: RegExp;
  code: EngineErrorCode;
  hint: string;
}

// Ordered: the first match wins. Patterns are podman 4.x/5.x message fragments.
const RULES: Rule[] = [
  {
    pattern: /requires root|must be root|operation not permitted.*criu|CAP_SYS_ADMIN/i,
    code: 'NEEDS_ROOT',
    hint: 'checkpoint and restore need rootful podman: run VS Code or ckpt as root, or use a rootful podman machine',
  },
  {
    pattern: /requires at least CRIU|CRIU binary not found/i,
    code: 'CRIU_FAILED',
    hint: 'podman found no CRIU it can use in its PATH: run `ckpt host --check` (VS Code: "Checkpoint: Check This Host") to see which CRIU runs and whether it works',
  },
  {
    pattern: /criu failed|criu.*(?:error|failed)|CRIU is missing|checkpointing .* failed|restoring .* failed/i,
    code: 'CRIU_FAILED',
    hint: 'read the CRIU log below; common causes are established TCP connections (use the TCP option), file locks (use the file-locks option) or a CRIU older than 4.1 on a kernel >= 6.13',
  },
  {
    pattern: /no container with name or ID|no such container/i,
    code: 'CONTAINER_NOT_FOUND',
    hint: 'list containers with `podman ps -a` (or `ckpt ps`) and use an existing name or ID',
  },
  {
    pattern: /is not running, cannot checkpoint|container state improper/i,
    code: 'CONTAINER_NOT_RUNNING',
    hint: 'start the container first; only running containers can be checkpointed',
  },
  {
    pattern: /is not a checkpoint/i,
    code: 'NOT_A_CHECKPOINT_IMAGE',
    hint: 'choose an image made with a checkpoint (it must be an OCI image with io.podman.annotations.checkpoint.* annotations)',
  },
  {
    pattern: /requires runtime/i,
    code: 'RUNTIME_MISMATCH',
    hint: "restore needs podman's default OCI runtime to be the one the checkpoint was made with; set it in containers.conf",
  },
  {
    pattern: /volume with name \S+ already exists/i,
    code: 'NAME_IN_USE',
    hint: 'remove that volume (podman volume rm NAME) to restore its recorded content, or keep it and restore without the volumes (podman --ignore-volumes)',
  },
  {
    pattern: /already in use|already exists|name is in use/i,
    code: 'NAME_IN_USE',
    hint: 'restore under a new name, or remove the container that holds the name',
  },
  {
    pattern: /image not known|no such image|image .* not found|unable to find .* image|manifest unknown/i,
    code: 'IMAGE_NOT_FOUND',
    hint: 'check the image name with `podman images` (or `ckpt images`)',
  },
];

/** Turns podman's stderr into an EngineError with a code, the next step and, for CRIU, its log's tail. */
export async function classifyPodmanFailure(what: string, stderr: string): Promise<EngineError> {
  const text = stderr.trim();
  const rule = RULES.find((r) => r.pattern.test(text));
  const reason = lastErrorLine(text);
  const message = `${what}: ${reason || 'podman failed without a message'}`;
  if (rule?.code === 'CRIU_FAILED') {
    const logPath = criuLogPath(text);
    const log = logPath ? await readCriuLogEnd(logPath) : undefined;
    return log ? criuFailure(what, log, logPath) : new EngineError('CRIU_FAILED', message, { hint: rule.hint, log: tail(text) });
  }
  return new EngineError(rule?.code ?? 'PODMAN_FAILED', message, {
    hint: rule?.hint ?? 'see the podman output below',
    log: rule ? undefined : tail(text),
  });
}

/**
 * A CRIU failure explained from the end of its own log (`logEnd`, up to the last {@link CAUSE_BYTES}): the
 * cause, a next step that fits it, and the last lines.
 */
export function criuFailure(what: string, logEnd: string, logPath: string | undefined): EngineError {
  const cause = criuCause(logEnd);
  const message = `${what}: CRIU failed${cause ? `: ${cause}` : ''}`;
  return new EngineError('CRIU_FAILED', message, { hint: criuHint(cause ?? logEnd), log: tail(logEnd), logPath });
}

// Error lines that say only that something failed (CRIU 4.2 ends with them), or that CRIU survives.
const SUMMARY_ERROR = /FAILED\.?$|failed with -?\d+$|^rlimit: /;

/**
 * The line that says why CRIU failed. CRIU 4.1 logs it as the first "Error (file:line): …"; 4.2 also writes an
 * early harmless rlimit error and ends with summaries ("Dump files (pid: N) failed with -1", "Dumping FAILED."),
 * so the first error that is neither is the cause, and the last summary only when there is nothing else.
 */
export function criuCause(log: string): string | undefined {
  const errors = [...log.matchAll(/Error \([^)]*\):\s*(.+)/g)].map((m) => m[1]!.trim());
  return errors.find((e) => !SUMMARY_ERROR.test(e)) ?? errors.at(-1);
}

function criuHint(text: string): string {
  if (/tcp-established|TCP socket/i.test(text)) {
    return 'the container has open TCP connections: checkpoint with the TCP option (--tcp-established) and restore with it too';
  }
  if (/file lock|--file-locks/i.test(text)) return 'the container holds file locks: checkpoint with the file-locks option (--file-locks)';
  if (/vdso|vvar/i.test(text)) return 'this CRIU is too old for the kernel: install CRIU 4.1 or newer';
  if (/external|unix socket/i.test(text)) return 'a process uses a socket or file outside the container, which CRIU cannot save; close it or stop that process';
  return 'read the CRIU log below for the first error';
}

/** runc reports CRIU failures with "log file: <path>"; podman passes that through. */
export function criuLogPath(stderr: string): string | undefined {
  const m = /log file:\s*(\/\S+?\.log)\b/i.exec(stderr) ?? /(\/\S+\/(?:dump|restore)\.log)\b/.exec(stderr);
  return m?.[1];
}

/** The meaningful line of podman's stderr: its last "Error: ..." line, without the prefix. */
export function lastErrorLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const errorLine = [...lines].reverse().find((l) => l.startsWith('Error:'));
  return (errorLine ?? lines.at(-1) ?? '').replace(/^Error:\s*/, '');
}

export function tail(text: string, lines = TAIL_LINES): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** The end of a CRIU log, long enough to hold the cause of a failure; undefined when it is not readable. */
export function readCriuLogEnd(path: string): Promise<string | undefined> {
  return readTail(path, Infinity, CAUSE_BYTES);
}

/** Reads only the end of a possibly large log file (its last `bytes`); undefined when it is not readable. */
export async function readTail(path: string, lines = TAIL_LINES, bytes = TAIL_BYTES): Promise<string | undefined> {
  try {
    const { size } = await stat(path);
    const fh = await open(path, 'r');
    try {
      const length = Math.min(size, bytes);
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, size - length);
      return tail(buf.toString('utf8').trimEnd(), lines);
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}
