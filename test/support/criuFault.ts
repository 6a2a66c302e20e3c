/**
 * Fault injection on the real stack: CRIU frozen (SIGSTOP) at an exact point of a checkpoint or restore.
 *
 * A container started with runc's `org.criu.config` annotation makes its CRIU read a config file whose
 * `action-script` runs at every CRIU action; the script stops the CRIU that runs it at the action named in a
 * trigger file, once. post-dump: the container is frozen and dumped; post-restore: tasks rebuilt, not resumed.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_IMAGE, podman, TEST_LABEL, waitForCounter } from './stack.js';
import { COUNTER_SCRIPT } from './counter.js';

const STOP_SCRIPT = `#!/bin/sh
dir=$(dirname "$0")
[ "$CRTOOLS_SCRIPT_ACTION" = "$(cat "$dir/stop-at" 2>/dev/null)" ] || exit 0
rm -f "$dir/stop-at"
p=$PPID
while [ "$p" -gt 1 ]; do
  # CRIU retitles itself "criu: dump --rpc ..." once at work.
  if tr '\\0' ' ' < /proc/$p/cmdline | grep -q 'criu: \\|/criu swrk'; then kill -STOP "$p"; exit 0; fi
  p=$(cut -d' ' -f4 /proc/$p/stat)
done
`;

export interface CriuFault {
  /** Arms the fault: the next CRIU action of this name stops its CRIU. */
  stopAt(action: 'post-dump' | 'post-restore'): void;
  /** Still waiting for the armed action (false once CRIU was stopped). */
  armed(): boolean;
}

/** Starts a counting container whose CRIU can be frozen; the script and trigger live in `dir`. */
export async function startStallableCounter(name: string, dir: string): Promise<CriuFault> {
  const script = join(dir, 'stop-criu.sh');
  const config = join(dir, 'criu.conf');
  writeFileSync(script, STOP_SCRIPT);
  chmodSync(script, 0o755);
  writeFileSync(config, `action-script ${script}\n`);
  await podman('run', '-d', '--name', name, '--label', TEST_LABEL, '--annotation', `org.criu.config=${config}`, BASE_IMAGE, 'sh', '-c', COUNTER_SCRIPT);
  await waitForCounter(name, 10);
  const trigger = join(dir, 'stop-at');
  return { stopAt: (action) => writeFileSync(trigger, action), armed: () => existsSync(trigger) };
}
