// Runs test files one at a time, each under a hard timeout, so `npm test` ends on its own whatever CRIU, podman
// or the workbench do. Usage: node scripts/run-tests.mjs DIR|FILE...
// Every file's processes carry a marker in their environment; podman, conmon, runc, CRIU, code-server and
// Chromium inherit it, so what a file leaves behind is found even after it left the process group (conmon
// daemonizes) and ended when the file ends or times out.
// CKPT_TEST_FILE_TIMEOUT (seconds, default 600) caps each file, CKPT_TEST_TOTAL_TIMEOUT (default 4800) the run.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

const FILE_TIMEOUT_S = Number(process.env.CKPT_TEST_FILE_TIMEOUT ?? 600);
const TOTAL_TIMEOUT_S = Number(process.env.CKPT_TEST_TOTAL_TIMEOUT ?? 4800);
const MARKER_KEY = 'CKPT_TEST_RUN';
const log = (line) => process.stderr.write(`[test-runner] ${line}\n`);

function testFiles(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => {
    const child = join(path, name);
    return statSync(child).isDirectory() ? testFiles(child) : name.endsWith('.test.js') ? [child] : [];
  });
}

/** PIDs whose environment holds exactly `marker` (readable as root; others' are skipped). */
function markedProcesses(marker) {
  const wanted = `${MARKER_KEY}=${marker}`;
  const found = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!pid || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(wanted)) found.push(pid);
    } catch {
      // Ended meanwhile, or not ours to read.
    }
  }
  return found;
}

function programName(pid) {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return '?';
  }
}

/** SIGKILLs every process carrying the marker; returns their program names. */
function sweep(marker) {
  const pids = markedProcesses(marker);
  const names = pids.map(programName);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return names;
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone.
  }
}

/** Runs one file; resolves to its outcome once it ended (or was ended) and its strays were swept. */
function runFile(file, index, timeoutS) {
  const marker = `${process.pid}-${index}`;
  const started = Date.now();
  return new Promise((resolve) => {
    // Without NODE_TEST_CONTEXT: set when this runner itself runs under node --test, it makes files be skipped.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const child = spawn(process.execPath, ['--test', '--test-reporter=spec', file], {
      stdio: 'inherit',
      detached: true,
      env: { ...env, [MARKER_KEY]: marker },
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child.pid, 'SIGTERM');
      setTimeout(() => signalGroup(child.pid, 'SIGKILL'), 5000).unref();
    }, timeoutS * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      signalGroup(child.pid, 'SIGKILL');
      const killed = sweep(marker);
      const seconds = Math.round((Date.now() - started) / 1000);
      const what = killed.length ? ` — killed ${killed.length} processes (${[...new Set(killed)].join(', ')})` : '';
      if (timedOut) log(`TIMEOUT after ${timeoutS} s: ${file}${what}`);
      else if (killed.length) log(`${file} left processes behind${what}`);
      resolve({ file, seconds, status: timedOut ? 'timed out' : code === 0 ? 'passed' : `failed (${signal ?? `exit ${code}`})` });
    });
  });
}

const files = process.argv.slice(2).flatMap(testFiles);
if (files.length === 0) {
  log('no test files given');
  process.exit(2);
}
const deadline = Date.now() + TOTAL_TIMEOUT_S * 1000;
const results = [];
for (const [index, file] of files.entries()) {
  const left = Math.floor((deadline - Date.now()) / 1000);
  if (left <= 0) {
    results.push({ file, seconds: 0, status: 'not run (the run reached its time limit)' });
    continue;
  }
  results.push(await runFile(file, index, Math.min(FILE_TIMEOUT_S, left)));
}
log('summary:');
for (const r of results) log(`  ${r.status.padEnd(10)} ${String(r.seconds).padStart(5)} s  ${r.file}`);
const bad = results.filter((r) => r.status !== 'passed');
log(bad.length ? `${bad.length} of ${results.length} files did not pass` : `all ${results.length} files passed`);
process.exit(bad.length ? 1 : 0);
