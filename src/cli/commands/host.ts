import type { CliCommand } from '../command.js';
import { firstLine, table, toJson } from '../../shared/format.js';

export const host: CliCommand = {
  name: 'host',
  summary: 'Show this host as checkpoint annotations record it (podman, CRIU, runtime, kernel...)',
  usage: '[--json]',
  help: ['--json   print JSON for scripts'],
  options: { json: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run(ctx, values) {
    const f = await ctx.podman.hostFacts({ signal: ctx.signal });
    if (values.json) return ctx.out(toJson(f));
    const rows: string[][] = [
      ['Podman', f.podmanVersion],
      ['CRIU', f.criu ? `${f.criu.text} (${f.criu.number})` : 'missing'],
      ['Runtime', `${f.runtimeName} (${firstLine(f.runtimeVersion)})`],
      ['Conmon', f.conmonVersion],
      ['Architecture', f.arch],
      ['Kernel', f.kernel],
      ['Cgroups', f.cgroupsVersion],
      ['Distribution', `${f.distributionName} ${f.distributionVersion}`],
      ['Rootless', f.rootless ? 'yes (checkpoint/restore need root)' : 'no'],
    ];
    ctx.out(table(['FACT', 'VALUE'], rows));
    if (f.criuProblem) ctx.note(`warning: ${f.criuProblem}`);
  },
};
