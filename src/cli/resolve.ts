import { EngineError, formatReference, parseReference, type CheckpointImage, type ImageReference } from '../engine/index.js';
import type { CliContext } from './command.js';

/** A checkpoint image wherever the reference points; IMAGE_NOT_FOUND when it is not there. */
export async function findImage(ctx: CliContext, text: string): Promise<{ ref: ImageReference; image: CheckpointImage }> {
  const ref = parseReference(text);
  let image: CheckpointImage | undefined;
  if (ref.kind === 'podman') image = await ctx.podman.checkpointImage(ref.name, { signal: ctx.signal });
  else if (ref.kind === 'store' || ref.kind === 'oci') image = await ctx.storeFor(ref).checkpointImage(ref.tag);
  else throw new EngineError('INVALID_ARGUMENT', `${text}: an archive is not an image`, { hint: 'build one with `ckpt image create ARCHIVE store:TAG`' });
  if (!image) {
    throw new EngineError('IMAGE_NOT_FOUND', `${formatReference(ref)}: no such checkpoint image`, {
      hint: 'list them with `ckpt images`',
    });
  }
  return { ref, image };
}
