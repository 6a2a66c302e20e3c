import { copyImage, intoPodman as intoPodmanEngine, type ArchiveCompression, type CopyContext, type ImageReference } from '../../engine/index.js';
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

/** The image `ref` in podman (copied there first from the store or a registry), reporting on `report`. */
export function intoPodman(services: Services, ref: string, report: (message: string) => void, signal: AbortSignal): Promise<string> {
  return intoPodmanEngine(copyContext(services, signal), ref, { signal, onProgress: transferReporter(report) });
}
