import { loadEngine, type CliCommand } from '../command.js';
import { findImage } from '../resolve.js';

export const rm: CliCommand = {
  name: 'rm',
  summary: 'Remove a checkpoint image (refuses images that are not checkpoint images)',
  usage: 'IMAGE   (a podman name, store:TAG or oci:PATH:TAG)',
  help: ['In a store the tag goes at once and its blobs at the next `ckpt gc`.'],
  options: {},
  positionals: { min: 1, max: 1 },
  async run(ctx, _values, [text]) {
    const { ref } = await findImage(ctx, text!);
    if (ref.kind === 'podman') await ctx.podman.removeCheckpointImage(ref.name, { signal: ctx.signal });
    else if (ref.kind === 'store' || ref.kind === 'oci') await ctx.storeFor(ref).remove(ref.tag, { signal: ctx.signal });
    const { formatReference } = await loadEngine();
    ctx.out(`removed ${formatReference(ref)}`);
  },
};
