import { buildInspectModel, EngineError } from '../../engine/index.js';
import type { Services } from '../services.js';
import { InspectPanel } from '../webview/InspectPanel.js';
import { pickCheckpointImage } from './pick.js';

/** Opens the inspect view; takes a tree node, an image reference (string), or asks. */
export async function inspectCheckpointImage(services: Services, node?: unknown): Promise<InspectPanel> {
  const image =
    typeof node === 'string'
      ? await services.podman().checkpointImage(node)
      : await pickCheckpointImage(services, node, 'Inspect Checkpoint Image');
  if (!image) {
    throw new EngineError('IMAGE_NOT_FOUND', `inspecting ${String(node)}: no such image`, { hint: 'refresh the Checkpoint Images view' });
  }
  const host = services.model.host ?? (await services.podman().hostFacts().catch(() => undefined));
  return InspectPanel.show(services.extensionUri, buildInspectModel(image, host), host !== undefined);
}
