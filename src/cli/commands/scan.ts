import type { ScanReport, SecretFinding } from '../../engine/index.js';
import { loadEngine, type CliCommand } from '../command.js';
import { formatSize, table, toJson } from '../../shared/format.js';

/** The exit code when secrets are found: not 1, which says the scan itself failed (ExitCode.SecretsFound in main.ts). */
export const SECRETS_FOUND_EXIT = 5;

export const scan: CliCommand = {
  name: 'scan',
  summary: 'Find secrets in a checkpoint: private keys, cloud keys, tokens, JWTs, PASSWORD=-like variables (never printed)',
  usage: 'REF [--json]',
  help: [
    '--json   print it as JSON (ScanReport: findings, capped, scanned, notes)',
    'Scans every memory page of every process, each environment and command line, and the files the container changed',
    '(rootfs diff), in one pass: a registry\'s layer is streamed, never stored. REF is any checkpoint: archive:FILE, a',
    'podman name, store:TAG, oci:PATH:TAG, oci-archive:FILE, docker-archive:FILE, docker://HOST/REPO:TAG.',
    'Each finding names its kind, where it is (memory, environment, cmdline, rootfs-diff), the process and address or the',
    'file, and a preview (a public prefix such as ghp_ or a few first characters, and the length): never the secret.',
    'The same secret seen many times is one finding with a count.',
    `Exit code: 0 nothing found, ${SECRETS_FOUND_EXIT} secrets found; an error keeps ckpt's codes (1 failed, 2 usage, 3 not found, 130 cancelled).`,
  ],
  options: { json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(ctx, values, [text]) {
    const { parseReference, scanCheckpoint } = await loadEngine();
    const report = await scanCheckpoint(ctx, parseReference(text!), { signal: ctx.signal });
    if (values.json) ctx.out(toJson(report));
    else ctx.out(renderScan(report));
    for (const note of report.notes) ctx.note(`ckpt scan: not scanned: ${note}`);
    return report.findings.length ? SECRETS_FOUND_EXIT : undefined;
  },
};

function renderScan(report: ScanReport): string {
  const { scanned } = report;
  const what = `${formatSize(scanned.memoryBytes)} of memory in ${count(scanned.processes, 'process', 'processes')}, environments, command lines, ${count(scanned.files, 'changed file', 'changed files')}`;
  if (!report.findings.length) return `No secrets found in ${report.reference} (scanned ${what}).`;
  const rows = report.findings.map((f) => [f.kind, f.where, processOf(f), placeOf(f), f.name ? `${f.name} ${f.preview}` : f.preview, String(f.count)]);
  const lines = [
    `${count(report.findings.length, 'secret', 'secrets')} found in ${report.reference} (scanned ${what}):`,
    '',
    table(['KIND', 'WHERE', 'PROCESS', 'ADDRESS/PATH', 'PREVIEW', 'SEEN'], rows),
  ];
  if (report.capped) lines.push('', `More than ${report.limit} different secrets: only the first ${report.limit} are listed.`);
  lines.push('', 'Anyone who can read this checkpoint can read these. Push it only where its readers may see them.');
  return lines.join('\n');
}

function processOf(f: SecretFinding): string {
  if (f.pid === undefined) return '-';
  const first = f.comm ? `${f.pid} ${f.comm}` : String(f.pid);
  const others = (f.pids?.length ?? 1) - 1;
  return others > 0 ? `${first} +${others}` : first;
}

function placeOf(f: SecretFinding): string {
  if (f.path !== undefined) return f.path;
  if (f.address === undefined) return '-';
  const more = f.count - 1;
  return more > 0 ? `${f.address} +${more}` : f.address;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
