/**
 * The reference container of issue 12 ("see inside a checkpoint"), checkpointed for real: a shell with children
 * (one of them a shell with a child of its own), a busybox httpd listening on TCP, a process holding a file open
 * for writing, busybox syslogd bound to the unix socket /dev/log (busybox's nc here has no -U), a known
 * environment variable on every process, and a known string that exists only in the shell's memory (built at
 * run time by reversing what the environment holds, so it is in no command line or environment).
 * The container stays running after the checkpoint; the caller removes it (it is returned for that).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BASE_IMAGE, podman, TEST_LABEL, testPodman, uniqueName } from './stack.js';
import type { ArchiveCompression } from '../../src/engine/index.js';

/** What the reference container holds, as planted: tests look for exactly these. */
export interface RichPlanted {
  /** The environment variable every process carries (`-e`). */
  env: { name: string; value: string };
  /** The string only the main shell's memory holds (its variable MEMORY_MARK). */
  memoryString: string;
  /** The shell running as PID 1, as `sh -c SCRIPT`. */
  script: string;
  /** Command lines (argv joined by spaces) of the long-lived processes, by role. */
  cmdlines: { httpd: string; syslogd: string; holder: string; subshell: string; subshellChild: string };
  /** The TCP port httpd listens on (all addresses, IPv6 socket). */
  httpPort: number;
  /** The file the holder (a `sleep`) has open for appending, as fd `heldFd`. */
  heldFile: string;
  heldFd: number;
  /** The path syslogd's unix datagram socket is bound to. */
  unixSocket: string;
}

export interface RichCheckpoint {
  container: string;
  archive: string;
  planted: RichPlanted;
}

const HTTP_PORT = 8080;
const HELD = '/tmp/ckpt-held.txt';
const HELD_FD = 3;
const UNIX_SOCKET = '/dev/log';

/**
 * Starts the reference container in the test store, waits until every part of it is in place, and checkpoints it
 * (leave running) to `dir`/NAME.tar.zst (or the compression asked for). Register `container` for removal.
 */
export async function richCheckpoint(dir: string, options: { compression?: ArchiveCompression; onStarted?: (name: string) => void } = {}): Promise<RichCheckpoint> {
  const token = randomBytes(6).toString('hex');
  const memoryString = `ckpt-memory-mark-${token}`;
  const reversed = [...memoryString].reverse().join('');
  const cmdlines = {
    httpd: `httpd -f -p ${HTTP_PORT} -h /tmp/www`,
    syslogd: 'syslogd -n -O /tmp/syslog.txt',
    holder: 'sleep 100000',
    subshell: 'sh -c sleep 100001; :',
    subshellChild: 'sleep 100001',
  };
  // Long-lived children only, so the tree at checkpoint time is exactly these: the subshell's ';:' keeps it from
  // exec'ing its sleep; the holder's redirection opens the file in the child before sleep runs.
  const script = [
    'mkdir -p /tmp/www',
    'echo ckpt > /tmp/www/index.html',
    `${cmdlines.httpd} &`,
    `${cmdlines.syslogd} &`,
    `${cmdlines.holder} ${HELD_FD}>>${HELD} &`,
    "sh -c 'sleep 100001; :' &",
    'MEMORY_MARK=$(echo "$CKPT_TEST_MEMORY_REVERSED" | rev)',
    'echo "$MEMORY_MARK" | wc -c > /tmp/ready',
    'wait',
  ].join('\n');
  const env = { name: 'CKPT_TEST_SECRET', value: `s3cret-${token}` };
  const container = uniqueName('ckpt-rich');
  await podman(
    'run', '-d', '--name', container, '--label', TEST_LABEL,
    '-e', `${env.name}=${env.value}`, '-e', `CKPT_TEST_MEMORY_REVERSED=${reversed}`,
    BASE_IMAGE, 'sh', '-c', script,
  );
  options.onStarted?.(container);
  await waitUntilReady(container);
  const ext = { zstd: '.tar.zst', gzip: '.tar.gz', none: '.tar' }[options.compression ?? 'zstd'];
  const archive = join(dir, `${container}${ext}`);
  await testPodman().checkpoint(container, { kind: 'archive', path: archive, compression: options.compression ?? 'zstd' }, { leaveRunning: true });
  return {
    container,
    archive,
    planted: { env, memoryString, script, cmdlines, httpPort: HTTP_PORT, heldFile: HELD, heldFd: HELD_FD, unixSocket: UNIX_SOCKET },
  };
}

/** httpd listening, /dev/log bound, the file held, the subshell's child started, the marker built. */
async function waitUntilReady(container: string, timeoutMs = 10_000): Promise<void> {
  const check = [
    'test -s /tmp/ready',
    `netstat -ltn | grep -q ':${HTTP_PORT} '`,
    `test -S ${UNIX_SOCKET}`,
    `ls -l /proc/*/fd/${HELD_FD} 2>/dev/null | grep -q ${HELD}`,
    "ps -o args | grep -q '^sleep 100001'",
  ].join(' && ');
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await podman('exec', container, 'sh', '-c', `${check} && echo ok`).catch(() => '');
    if (ok === 'ok') return;
    if (Date.now() > until) {
      const ps = await podman('exec', container, 'ps', '-o', 'pid,ppid,args').catch((e: Error) => e.message);
      throw new Error(`the reference container ${container} was not ready within ${timeoutMs} ms:\n${ps}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
