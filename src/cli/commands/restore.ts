import { resolve } from 'node:path';
import type { RestoreSource } from '../../engine/index.js';
import { UsageError, type CliCommand } from '../command.js';
import { formatMicros, toJson } from '../../shared/format.js';

export const restore: CliCommand = {
  name: 'restore',
  summary: 'Restore a container from a checkpoint image, an archive, or a checkpointed container in place',
  usage: '(IMAGE | --import FILE | --in-place CONTAINER) [--name NAME] [options]',
  help: [
    '--import FILE         restore from a checkpoint archive',
    '--in-place            restore the checkpointed container named by the argument',
    '--name NAME, -n       name of the new container (needed while the original exists)',
    '--publish P, -p       publish a port, as in podman run (repeatable)',
    '--ignore-static-ip    do not reuse the checkpointed IP address',
    '--ignore-static-mac   do not reuse the checkpointed MAC address',
    '--tcp-established     restore established TCP connections',
    '--keep                keep CRIU files and logs',
    '--json                print the result as JSON',
  ],
  options: {
    import: { type: 'string', short: 'i' },
    'in-place': { type: 'boolean' },
    name: { type: 'string', short: 'n' },
    publish: { type: 'string', short: 'p', multiple: true },
    'ignore-static-ip': { type: 'boolean' },
    'ignore-static-mac': { type: 'boolean' },
    'tcp-established': { type: 'boolean' },
    keep: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: { min: 0, max: 1 },
  async run(ctx, v, [arg]) {
    const source = sourceOf(arg, v.import as string | undefined, v['in-place'] === true);
    ctx.note(`restoring ${arg ?? v.import}...`);
    const result = await ctx.podman.restore(source, {
      name: v.name as string | undefined,
      publish: v.publish as string[] | undefined,
      ignoreStaticIp: v['ignore-static-ip'] === true,
      ignoreStaticMac: v['ignore-static-mac'] === true,
      tcpEstablished: v['tcp-established'] === true,
      keep: v.keep === true,
      signal: ctx.signal,
    });
    if (v.json) return ctx.out(toJson(result));
    const took = result.stats ? ` in ${formatMicros(result.stats.totalMicros)}` : '';
    ctx.out(`restored ${result.container.name} (${result.container.id.slice(0, 12)}), ${result.container.state}${took}`);
  },
};

function sourceOf(arg: string | undefined, file: string | undefined, inPlace: boolean): RestoreSource {
  if (file) {
    if (arg || inPlace) throw new UsageError('--import takes no IMAGE argument and no --in-place');
    return { kind: 'archive', path: resolve(file) };
  }
  if (!arg) throw new UsageError('name a checkpoint image, or use --import FILE');
  return inPlace ? { kind: 'container', nameOrId: arg } : { kind: 'image', ref: arg };
}
