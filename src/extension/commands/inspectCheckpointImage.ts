import { buildInspectModel } from '../../engine/index.js';
import type { Services } from '../services.js';
import { InspectPanel } from '../webview/InspectPanel.js';
import { pickCheckpointImage } from './pick.js';

/** Opens the inspect view; takes a tree node, an image reference (`localhost/web:1`, `store:web-bug`), or asks. */
export async function inspectCheckpointImage(services: Services, arg?: unknown): Promise<InspectPanel> {
  const { image } = await pickCheckpointImage(services, arg, 'Inspect Checkpoint Image');
  const host = services.model.host ?? (await services.podman().hostFacts().catch(() => undefined));
  return InspectPanel.show(services.extensionUri, buildInspectModel(image, host), host !== undefined);
}
