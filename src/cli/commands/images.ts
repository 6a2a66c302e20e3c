import type { CheckpointImage } from '../../engine/index.js';
import { loadEngine, UsageError, type CliCommand, type CliContext } from '../command.js';
import { formatAge, formatSize, table, toJson } from '../../shared/format.js';

const LOCATIONS = ['all', 'podman', 'store'] as const;
type Location = (typeof LOCATIONS)[number];

export const images: CliCommand = {
  name: 'images',
  summary: "List checkpoint images in podman's storage and the embedded store, newest first",
  usage: '[--location all|podman|store] [--json]',
  help: ['--location L   only podman storage or only the embedded store (default: all)', '--json         print JSON (with every annotation) for scripts'],
  options: { json: { type: 'boolean' }, location: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run(ctx, values) {
    const location = (values.location as string | undefined) ?? 'all';
    if (!LOCATIONS.includes(location as Location)) throw new UsageError(`--location must be one of ${LOCATIONS.join(', ')}`);
    const list = await collect(ctx, location as Location);
    const { PodmanAnnotation, criuVersionFromNumber } = await loadEngine();
    if (values.json) return ctx.out(toJson(list.map(({ location, image }) => ({ location, ...image }))));
    const rows = list.map(({ location, image: i }) => [
      location === 'store' ? `store:${i.names[0]}` : (i.names[0] ?? '<none>'),
      i.annotations[PodmanAnnotation.Name] ?? '-',
      criuVersionFromNumber(i.annotations[PodmanAnnotation.CriuVersion])?.text ?? '-',
      formatSize(i.size),
      formatAge(i.created),
      i.id.replace(/^sha256:/, '').slice(0, 12),
    ]);
    ctx.out(table(['IMAGE', 'CONTAINER', 'CRIU', 'SIZE', 'CREATED', 'ID'], rows));
  },
};

async function collect(ctx: CliContext, location: Location): Promise<{ location: string; image: CheckpointImage }[]> {
  const out: { location: string; image: CheckpointImage }[] = [];
  if (location !== 'store') {
    const { isEngineError } = await loadEngine();
    try {
      for (const image of await ctx.podman.listCheckpointImages({ signal: ctx.signal })) out.push({ location: 'podman', image });
    } catch (err) {
      // Without podman the embedded store still lists; asked for podman alone, the error is the answer.
      if (location === 'podman' || !isEngineError(err, 'PODMAN_NOT_FOUND')) throw err;
    }
  }
  if (location !== 'podman') {
    for (const image of await ctx.store.listCheckpointImages()) out.push({ location: 'store', image });
  }
  return out.sort((a, b) => (b.image.created?.getTime() ?? 0) - (a.image.created?.getTime() ?? 0));
}
