import type { ArchiveCompression, CheckpointTarget } from '../../engine/index.js';
import { resolve } from 'node:path';
import { loadEngine, UsageError, type CliCommand } from '../command.js';
import { copyContext } from '../resolve.js';
import { formatMicros, formatSize, toJson } from '../../shared/format.js';

const COMPRESSIONS: ArchiveCompression[] = ['zstd', 'gzip', 'none'];

export const checkpoint: CliCommand = {
  name: 'checkpoint',
  summary: 'Checkpoint a running container into a checkpoint image or an archive',
  usage: 'CONTAINER (--image NAME | --export FILE [--compress zstd|gzip|none]) [options]',
  help: [
    '--image NAME          create a checkpoint image in podman storage (e.g. localhost/app-checkpoint:1)',
    '--image store:TAG     create it in the embedded store instead: faster, and ready to push (a gzip layer)',
    '--export FILE         write a checkpoint archive instead',
    '--compress ALGO       archive compression: zstd (default), gzip, none',
    '--leave-running, -R   keep the container running after the checkpoint',
    '--keep                keep CRIU files and logs in the container folder',
    '--tcp-established     checkpoint established TCP connections',
    '--file-locks          checkpoint file locks',
    '--json                print the result as JSON',
  ],
  options: {
    image: { type: 'string' },
    export: { type: 'string' },
    compress: { type: 'string' },
    'leave-running': { type: 'boolean', short: 'R' },
    keep: { type: 'boolean' },
    'tcp-established': { type: 'boolean' },
    'file-locks': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx, v, [name]) {
    const target = targetOf(v.image as string | undefined, v.export as string | undefined, v.compress as string | undefined);
    // Both only read: asked of podman at once.
    const [lost, found] = await Promise.all([
      ctx.podman.processesOutsideCheckpoint(name!, { signal: ctx.signal }).catch(() => []),
      ctx.podman.container(name!, { signal: ctx.signal }),
    ]);
    if (lost.length) {
      ctx.note(`warning: ${lost.length} process${lost.length === 1 ? ' was' : 'es were'} started with exec (a terminal, a debugger) and will not be in the checkpoint:`);
      for (const p of lost.slice(0, 10)) ctx.note(`  ${p.pid}  ${p.command}`);
      ctx.note('  run what must survive under the container\'s main process instead');
    }
    ctx.note(`checkpointing ${name}...`);
    const options = {
      leaveRunning: v['leave-running'] === true,
      keep: v.keep === true,
      tcpEstablished: v['tcp-established'] === true,
      fileLocks: v['file-locks'] === true,
      signal: ctx.signal,
      onStage: (stage: string) => ctx.note(stage),
    };
    // Not found: the checkpoint says so, with its hint.
    const container = found ?? name!;
    const result = target.kind === 'image' && found
      ? await (await loadEngine()).checkpointToImage(copyContext(ctx), found, target.name, options)
      : await ctx.podman.checkpoint(container, target, options);
    if (v.json) return ctx.out(toJson(result));
    const where = result.image
      ? `image ${target.kind === 'image' && target.name.startsWith('store:') ? target.name : result.image.names[0] ?? result.image.id} (${formatSize(result.image.size)})`
      : `archive ${result.archive!.path} (${formatSize(result.archive!.size)})`;
    const took = result.stats ? ` in ${formatMicros(result.stats.totalMicros)}` : '';
    ctx.out(`checkpointed ${result.containerName} into ${where}${took}`);
  },
};

function targetOf(image: string | undefined, file: string | undefined, compress: string | undefined): CheckpointTarget {
  // Podman silently creates no image when both are given; refuse instead.
  if (image && file) throw new UsageError('use either --image or --export, not both');
  if (!image && !file) throw new UsageError('say where the checkpoint goes: --image NAME or --export FILE');
  if (compress && !file) throw new UsageError('--compress applies only to --export');
  if (compress && !COMPRESSIONS.includes(compress as ArchiveCompression)) {
    throw new UsageError(`--compress must be one of ${COMPRESSIONS.join(', ')}`);
  }
  return image
    ? { kind: 'image', name: image }
    : { kind: 'archive', path: resolve(file!), compression: (compress as ArchiveCompression | undefined) ?? 'zstd' };
}
