import { open, stat } from 'node:fs/promises';
import { EngineError, type EngineErrorCode } from '../errors.js';

const TAIL_LINES = 25;
const TAIL_BYTES = 64 * 1024;

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
    const log = logPath ? await readTail(logPath) : undefined;
    return log ? criuFailure(what, log, logPath) : new EngineError('CRIU_FAILED', message, { hint: rule.hint, log: tail(text) });
  }
  return new EngineError(rule?.code ?? 'PODMAN_FAILED', message, {
    hint: rule?.hint ?? 'see the podman output below',
    log: rule ? undefined : tail(text),
  });
}

/** A CRIU failure explained from its own log: the first error CRIU wrote, and a next step that fits it. */
export function criuFailure(what: string, log: string, logPath: string | undefined): EngineError {
  const firstError = /Error \([^)]*\):\s*(.+)/.exec(log)?.[1]?.trim();
  const message = `${what}: CRIU failed${firstError ? `: ${firstError}` : ''}`;
  return new EngineError('CRIU_FAILED', message, { hint: criuHint(firstError ?? log), log, logPath });
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

/** Reads only the end of a possibly large log file; undefined when it is not readable. */
export async function readTail(path: string, lines = TAIL_LINES): Promise<string | undefined> {
  try {
    const { size } = await stat(path);
    const fh = await open(path, 'r');
    try {
      const length = Math.min(size, TAIL_BYTES);
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
