import { loadEngine, type CliCommand } from '../command.js';
import { formatSize, toJson } from '../../shared/format.js';

export const gc: CliCommand = {
  name: 'gc',
  summary: 'Delete blobs of the embedded store that no tag uses any more',
  usage: '[--dry-run] [--json]',
  help: ['--dry-run   only say what would be deleted', '--json      print the report as JSON'],
  options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run(ctx, v) {
    const report = await ctx.store.gc({ dryRun: v['dry-run'] === true, signal: ctx.signal });
    if (v.json) return ctx.out(toJson(report));
    const verb = report.dryRun ? 'would free' : 'freed';
    ctx.out(`${ctx.store.path}: ${verb} ${formatSize(report.bytesFreed)} in ${report.removed.length} blobs`);
  },
};

export const verify: CliCommand = {
  name: 'verify',
  summary: 'Rehash every blob of the embedded store and check every image in it',
  usage: '[--json]',
  help: ['--json   print the report as JSON', 'Exit code 1 when a problem was found.'],
  options: { json: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run(ctx, v) {
    const report = await ctx.store.verify({ signal: ctx.signal });
    if (v.json) ctx.out(toJson(report));
    else {
      ctx.out(`${ctx.store.path}: ${report.blobs} blobs, ${formatSize(report.bytes)} checked, ${report.problems.length} problems`);
      for (const p of report.problems) ctx.out(`  ${p.digest ?? ''} ${p.message}`);
    }
    if (report.problems.length) {
      const { EngineError } = await loadEngine();
      throw new EngineError('INVALID_LAYOUT', `${report.problems.length} problems in ${ctx.store.path}`, {
        hint: 'remove the damaged images (`ckpt rm store:TAG`), run `ckpt gc`, and copy or build them again',
      });
    }
  },
};
