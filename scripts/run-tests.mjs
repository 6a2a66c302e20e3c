// Runs test files one at a time, each under a hard timeout, so `npm test` ends on its own whatever CRIU, podman
// or the workbench do. Usage: node scripts/run-tests.mjs DIR|FILE...
// Every file runs in a process group of its own with a marker in its environment; podman, conmon, runc, CRIU,
// code-server and Chromium inherit it, so what a file started is found and ended even after it left the group
// (conmon daemonizes, Chromium and code-server get groups of their own). The marker's name starts with LC_:
// podman 4 hands conmon (and so the runc and CRIU of a restore) only LC_*, PATH and a few of its own.
// CKPT_TEST_FILE_TIMEOUT (seconds, default 600) caps each file, CKPT_TEST_TOTAL_TIMEOUT (default 4800, below
// CI's 90 minutes) the run. Containers a killed CRIU left frozen are the next run's to remove (podman rm -f).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MARKER_KEY = 'LC_CKPT_TEST_RUN';
const log = (line) => process.stderr.write(`[test-runner] ${line}\n`);

function seconds(name, fallback) {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!(value > 0)) {
    log(`${name} must be a positive number of seconds, not '${raw}'`);
    process.exit(2);
  }
  return value;
}
const FILE_TIMEOUT_S = seconds('CKPT_TEST_FILE_TIMEOUT', 600);
const TOTAL_TIMEOUT_S = seconds('CKPT_TEST_TOTAL_TIMEOUT', 4800);

/** A folder's *.test.js files at any depth, sorted by path as node --test sorts them; a file stands for itself. */
function testFiles(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true })
    .filter((name) => name.endsWith('.test.js'))
    .map((name) => join(path, name))
    .sort();
}

/**
 * Live processes in group `pgid` or whose environment holds exactly this marker, never the runner itself:
 * [pid, program name] pairs. Other users' environments are unreadable unless root, and skipped.
 */
function processesOf(marker, pgid) {
  const wanted = `${MARKER_KEY}=${marker}`;
  const found = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!pid || pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // After the name: state, ppid, pgrp, ... Zombies are dead already, only unreaped.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      if (Number(pgrp) === pgid || readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(wanted)) {
        found.push([pid, name]);
      }
    } catch {
      // Ended meanwhile, or not ours to read.
    }
  }
  return found;
}

/** SIGKILLs what processesOf finds; returns what it killed. */
function sweep(marker, pgid) {
  const found = processesOf(marker, pgid);
  for (const [pid] of found) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return found;
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // the group is gone
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const described = (killed) => `killed ${killed.size} processes (${[...new Set(killed.values())].join(', ')})`;

/** The file running now, for the signal handlers. */
let current;

/** Runs one file; resolves to its outcome once it and everything it started have ended. */
async function runFile(file, marker, capS) {
  const started = Date.now();
  // Without NODE_TEST_CONTEXT: set when this runner itself runs under node --test, it makes files be skipped.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', file], {
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
    env: { ...env, [MARKER_KEY]: marker },
  });
  const pgid = child.pid;
  current = { marker, pgid };
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
  let timer;
  const outcome = await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, capS * 1000, 'timeout')))]);
  clearTimeout(timer);

  const killed = new Map();
  if (outcome === 'timeout') {
    for (const [pid, name] of processesOf(marker, pgid)) killed.set(pid, name);
    // The group first gets a chance to clean up, then whatever is left of it and of the marker is killed.
    signalGroup(pgid, 'SIGTERM');
    for (let i = 0; i < 50 && signalGroup(pgid, 0); i++) await sleep(100);
    signalGroup(pgid, 'SIGKILL');
    await exited;
  }
  for (const [pid, name] of sweep(marker, pgid)) killed.set(pid, name);
  current = undefined;
  const secs = (Date.now() - started) / 1000;
  if (outcome === 'timeout') log(`TIMEOUT after ${capS} s: ${file} — ${described(killed)}`);
  else if (killed.size) log(`${file} left processes behind: ${described(killed)}`);
  const status = outcome === 'timeout' ? 'timed out' : outcome === 'exit 0' ? 'passed' : 'failed';
  return { file, secs, status, detail: status === 'failed' ? ` (${outcome})` : '' };
}

// Files run in groups of their own, out of reach of the terminal's Ctrl-C: a stopped run ends its file here.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    const killed = current ? sweep(current.marker, current.pgid) : [];
    log(`stopped by ${signal}${killed.length ? `: ${described(new Map(killed))}` : ''}`);
    process.exit(1);
  });
}

const files = process.argv.slice(2).flatMap(testFiles);
if (files.length === 0) {
  log('no test files given');
  process.exit(2);
}
const runStarted = Date.now();
const deadline = runStarted + TOTAL_TIMEOUT_S * 1000;
const results = [];
for (const [index, file] of files.entries()) {
  const left = Math.floor((deadline - Date.now()) / 1000);
  if (left <= 0) results.push({ file, secs: 0, status: 'not run', detail: ` (the run reached its ${TOTAL_TIMEOUT_S} s limit)` });
  // The runner's PID keeps the markers of runners side by side, or one inside another's test, apart.
  else results.push(await runFile(file, `${process.pid}-${index}`, Math.min(FILE_TIMEOUT_S, left)));
}

log('summary:');
for (const r of results) log(`  ${r.status.padEnd(9)} ${r.secs.toFixed(1).padStart(6)} s  ${r.file}${r.detail}`);
const counts = ['passed', 'failed', 'timed out', 'not run'].map((s) => `${results.filter((r) => r.status === s).length} ${s}`);
log(`${counts.join(', ')} of ${results.length} files in ${Math.round((Date.now() - runStarted) / 1000)} s`);
process.exit(results.every((r) => r.status === 'passed') ? 0 : 1);
