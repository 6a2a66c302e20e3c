import { loadEngine, pidOption, UsageError, type CliCommand } from '../command.js';
import { formatSize, table, toJson } from '../../shared/format.js';

export const mem: CliCommand = {
  name: 'mem',
  summary: "A checkpoint's memory: how much each process has, and where a text occurs in it (like checkpointctl memparse)",
  usage: 'REF [--pid N] [--search TEXT | --search-regex RE] [--context N] [--json]',
  help: [
    '--pid N            only process N',
    '--search TEXT      where TEXT is in the memory pages, by address',
    '--search-regex RE  the same for a JavaScript regular expression (bytes read as Latin-1)',
    '--context N        N bytes shown each side of a match (default 0)',
    '--json             print it as JSON (MemoryReport)',
    'REF is any checkpoint: archive:FILE, a podman name, store:TAG, oci:PATH:TAG, oci-archive:FILE, docker-archive:FILE,',
    'docker://HOST/REPO:TAG. The pages stream past once, never stored; bytes that do not print show as "?".',
  ],
  options: { pid: { type: 'string' }, search: { type: 'string' }, 'search-regex': { type: 'string' }, context: { type: 'string' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(ctx, values, [text]) {
    const context = values.context === undefined ? 0 : Number(values.context);
    if (!Number.isSafeInteger(context) || context < 0) throw new UsageError(`--context takes a number of bytes, not ${String(values.context)}`);
    const search = values.search as string | undefined;
    const regex = values['search-regex'] as string | undefined;
    if (search !== undefined && regex !== undefined) throw new UsageError('--search and --search-regex do not go together');
    if (context && search === undefined && regex === undefined) throw new UsageError('--context goes with --search or --search-regex');
    const { parseReference, searchCheckpointMemory } = await loadEngine();
    const report = await searchCheckpointMemory(ctx, parseReference(text!), { pid: pidOption(values), search, regex, context, signal: ctx.signal });
    if (values.json) return ctx.out(toJson(report));
    const lines: string[] = [];
    if (search === undefined && regex === undefined) {
      const rows = report.processes.map((p) => [String(p.pid), p.comm, formatSize(p.dumpedBytes), formatSize(Object.values(p.mappedBytes).reduce((a, b) => a + b, 0))]);
      lines.push(`Memory of the processes in ${report.reference}`, '', table(['PID', 'PROCESS NAME', 'MEMORY SIZE', 'MAPPED'], rows));
    } else if (!report.matches.length) {
      lines.push(`No matches for ${JSON.stringify(search ?? regex)} in ${report.reference}`);
    } else {
      const rows = report.matches.map((m, i) => [String(m.pid), m.address, m.context, String(i + 1)]);
      lines.push(`Matches for ${JSON.stringify(search ?? regex)} in ${report.reference}`, '', table(['PID', 'ADDRESS', 'MATCH', 'INSTANCE'], rows));
      if (report.truncated) lines.push(`(only the first ${report.matches.length} matches)`);
    }
    if (report.notes.length) lines.push('', 'Not shown:', ...report.notes.map((n) => `  ${n}`));
    ctx.out(lines.join('\n'));
  },
};
