import type { LayerCompression } from '../../engine/index.js';
import { loadEngine, type CliCommand } from '../command.js';
import { copyContext } from '../resolve.js';
import { formatSize } from '../../shared/format.js';

export const copy: CliCommand = {
  name: 'copy',
  summary: 'Copy a checkpoint image between podman, the embedded store, OCI layouts, archives and registries',
  usage: 'SRC DST   (podman:NAME or NAME, store:TAG, oci:PATH:TAG, archive:FILE, docker://HOST/REPO:TAG)',
  help: [
    "--compression C   the archive's when DST is an archive: zstd (default), gzip, none;",
    "                  else the layer's when SRC is an archive: gzip (default), zstd, none",
    'Examples: ckpt copy localhost/web:ckpt store:web-bug     (podman to the embedded store)',
    '          ckpt copy store:web-bug podman:localhost/web:bug (and back, for `ckpt restore`)',
    '          ckpt copy archive:/tmp/web.tar.zst store:web-bug',
    '          ckpt copy store:web-bug archive:/tmp/web.tar.zst   (for podman container restore --import)',
    '          ckpt copy store:web-bug docker://registry.example:5000/team/web:bug   (push; pull the other way)',
  ],
  options: { compression: { type: 'string' } },
  positionals: { min: 2, max: 2 },
  async run(ctx, v, [srcText, dstText]) {
    const { copyImage, formatReference, parseReference } = await loadEngine();
    const src = parseReference(srcText!);
    const dst = parseReference(dstText!);
    let last = '';
    const descriptor = await copyImage(
      copyContext(ctx),
      src,
      dst,
      {
        compression: v.compression as LayerCompression | undefined,
        signal: ctx.signal,
        onProgress: (p) => {
          const line = p.totalBytes ? `${p.stage} (${formatSize(p.bytes)} of ${formatSize(p.totalBytes)})` : p.stage;
          if (line.split(' (')[0] !== last) ctx.note(line);
          last = line.split(' (')[0]!;
        },
      },
    );
    ctx.out(`copied ${formatReference(src)} to ${formatReference(dst)} (${descriptor.digest})`);
  },
};
