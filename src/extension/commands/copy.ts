import { copyImage, parseReference, podmanNameFor, type ArchiveCompression, type CopyContext, type ImageReference } from '../../engine/index.js';
import { transferReporter } from '../adapters/progress.js';
import type { Services } from '../services.js';
import { withProgress } from './runCommand.js';

/** Where copyImage finds podman, the embedded store and the registries' clients. */
export function copyContext(services: Services, signal?: AbortSignal): CopyContext {
  const podman = services.podman();
  return { podman, store: services.store(), hostFacts: () => podman.hostFactsForBuild({ signal }), registry: services.registries.client };
}

/** A copy that shows its stage, bytes and speed on `report`: the caller's progress notification. */
export function copyReporting(
  services: Services,
  src: ImageReference,
  dst: ImageReference,
  report: (message: string) => void,
  signal: AbortSignal,
  compression?: ArchiveCompression,
) {
  return copyImage(copyContext(services, signal), src, dst, { compression, signal, onProgress: transferReporter(report) });
}

/** A copy in a progress notification of its own. */
export function copyWithProgress(services: Services, title: string, src: ImageReference, dst: ImageReference, compression?: ArchiveCompression) {
  return withProgress(title, (report, signal) => copyReporting(services, src, dst, report, signal, compression));
}

/**
 * The podman name of the image `ref` (a podman name, store:TAG or docker://HOST/REPO:TAG): podman restores only
 * from its own storage, so an image of the embedded store or a registry is copied there first (a failed or
 * cancelled copy names nothing in podman).
 */
export async function intoPodman(services: Services, ref: string, report: (message: string) => void, signal: AbortSignal): Promise<string> {
  const parsed = parseReference(ref);
  if (parsed.kind !== 'store' && parsed.kind !== 'registry') return ref;
  const name = podmanNameFor(parsed);
  await copyReporting(services, parsed, { kind: 'podman', name }, report, signal);
  return name;
}
