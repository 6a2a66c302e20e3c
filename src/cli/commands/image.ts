import { resolve } from 'node:path';
import type { LayerCompression } from '../../engine/index.js';
import { loadEngine, UsageError, type CliCommand } from '../command.js';
import { formatSize, toJson } from '../../shared/format.js';

const COMPRESSIONS: LayerCompression[] = ['gzip', 'zstd', 'none'];

export const image: CliCommand = {
  name: 'image',
  summary: 'image create ARCHIVE|DIR DEST: build a checkpoint image from an archive or folder, without podman',
  usage: 'create ARCHIVE|DIR DEST [--compression gzip|zstd|none] [--annotation KEY=VALUE]... [--index]   (DEST: TAG, store:TAG or oci:PATH:TAG)',
  help: [
    '--compression C      layer compression: gzip (default), zstd, none',
    '--annotation K=V     an annotation of your own, e.g. org.opencontainers.image.description=...',
    '--index              also write an OCI index with org.criu.checkpoint.* (what containerd reads)',
    '--json               print the result as JSON',
  ],
  options: { compression: { type: 'string' }, annotation: { type: 'string', multiple: true }, index: { type: 'boolean' }, json: { type: 'boolean' } },
  positionals: { min: 3, max: 3 },
  async run(ctx, v, [sub, archive, dest]) {
    if (sub !== 'create') throw new UsageError(`unknown subcommand ${sub}; try: ckpt image create ARCHIVE DEST`);
    const compression = (v.compression as string | undefined) ?? 'gzip';
    if (!COMPRESSIONS.includes(compression as LayerCompression)) throw new UsageError(`--compression must be one of ${COMPRESSIONS.join(', ')}`);
    const annotations: Record<string, string> = {};
    for (const a of (v.annotation as string[] | undefined) ?? []) {
      const eq = a.indexOf('=');
      if (eq <= 0) throw new UsageError(`--annotation takes KEY=VALUE, not ${a}`);
      annotations[a.slice(0, eq)] = a.slice(eq + 1);
    }
    const { parseReference } = await loadEngine();
    const ref = dest!.includes(':') ? parseReference(dest!) : parseReference(`store:${dest}`);
    if (ref.kind !== 'store' && ref.kind !== 'oci') throw new UsageError('DEST must be a store tag or oci:PATH:TAG');
    const store = ctx.storeFor(ref, { create: true });
    ctx.note(`building ${dest} from ${archive}...`);
    const host = await ctx.podman.hostFactsForBuild({ signal: ctx.signal });
    const result = await store.buildFromArchive(resolve(archive!), ref.tag, {
      host,
      compression: compression as LayerCompression,
      annotations,
      index: v.index === true,
      signal: ctx.signal,
    });
    if (v.json) return ctx.out(toJson(result));
    ctx.out(`built ${dest}: ${result.archive.engine} checkpoint of ${result.archive.containerName}, layer ${formatSize(result.layer.size)} (${compression}), ${result.descriptor.digest}`);
  },
};
