import { loadEngine, type CliCommand, type CliContext } from '../command.js';
import { firstLine, formatCheckStep, table, toJson } from '../../shared/format.js';

export const host: CliCommand = {
  name: 'host',
  summary: 'Show this host as checkpoint annotations record it (podman, CRIU, runtime, kernel...); --check proves it works',
  usage: '[--check] [--json]',
  help: [
    '--check  checkpoint and restore a test container for real (a web server and a forking shell loop, from a static busybox),',
    '         timing each step; exits non-zero with the failing step, its cause and CRIU\'s log when it fails',
    '--json   print JSON for scripts',
  ],
  options: { json: { type: 'boolean' }, check: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run(ctx, values) {
    if (values.check) return checkHost(ctx, values.json === true);
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

async function checkHost(ctx: CliContext, json: boolean): Promise<void> {
  if (!json) ctx.out('Checking this host with a real checkpoint and restore:');
  const report = await ctx.podman.checkHost({
    signal: ctx.signal,
    onStep: (step) => {
      // A failed step's detail is its error, printed in full below.
      if (!json) ctx.out(formatCheckStep(step.ok ? step : { ...step, detail: undefined }));
    },
  });
  const failed = report.steps.find((s) => !s.ok);
  if (json) {
    const { describeError } = await loadEngine();
    ctx.out(toJson({ ...report, steps: report.steps.map(({ error, ...s }) => (error ? { ...s, error: describeError(error) } : s)) }));
  } else if (report.ok) {
    ctx.out(`This host can checkpoint and restore containers (CRIU ${report.criu}, kernel ${report.kernel}).`);
  }
  if (failed) throw failed.error;
}
