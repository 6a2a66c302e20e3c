import type { CheckpointImage, CopyContext, ImageReference } from '../engine/index.js';
import { loadEngine, type CliContext } from './command.js';

/** A checkpoint image wherever the reference points; IMAGE_NOT_FOUND when it is not there. */
export async function findImage(ctx: CliContext, text: string): Promise<{ ref: ImageReference; image: CheckpointImage }> {
  const { EngineError, formatReference, lookupCheckpointImage, parseReference } = await loadEngine();
  const ref = parseReference(text);
  const image = await lookupCheckpointImage(ref, ctx, { signal: ctx.signal });
  if (!image) {
    throw new EngineError('IMAGE_NOT_FOUND', `${formatReference(ref)}: no such checkpoint image`, {
      hint: 'list them with `ckpt images`',
    });
  }
  return { ref, image };
}

/** What the engine's copies need, from the command's context: podman, the store, registries, host facts. */
export function copyContext(ctx: CliContext): CopyContext {
  return { podman: ctx.podman, store: ctx.store, registry: ctx.registry, hostFacts: () => ctx.podman.hostFactsForBuild({ signal: ctx.signal }) };
}
