import { buildInspectModel } from '../../engine/index.js';
import type { Services } from '../services.js';
import { contentsKey } from '../tree/CheckpointImageNode.js';
import { InspectPanel } from '../webview/InspectPanel.js';
import { pickCheckpointImage } from './pick.js';

/**
 * Opens the inspect view; takes a tree node, an image reference (`localhost/web:1`, `store:web-bug`), or asks.
 * The page shows the annotations at once and what the checkpoint holds once it is read.
 */
export async function inspectCheckpointImage(services: Services, arg?: unknown): Promise<InspectPanel> {
  const { image, ref } = await pickCheckpointImage(services, arg, 'Inspect Checkpoint Image');
  const host = services.model.host ?? (await services.podman().hostFacts().catch(() => undefined));
  return InspectPanel.show(services.extensionUri, services.contents, {
    model: buildInspectModel(image, host),
    hostKnown: host !== undefined,
    contents: { ref, key: contentsKey(image) },
  });
}
