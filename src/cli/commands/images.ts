import { PodmanAnnotation, criuVersionFromNumber } from '../../engine/index.js';
import type { CliCommand } from '../command.js';
import { formatAge, formatSize, table, toJson } from '../../shared/format.js';

export const images: CliCommand = {
  name: 'images',
  summary: "List the checkpoint images in podman's storage, newest first",
  usage: '[--json]',
  help: ['--json   print JSON (with every annotation) for scripts'],
  options: { json: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run(ctx, values) {
    const list = await ctx.podman.listCheckpointImages({ signal: ctx.signal });
    if (values.json) return ctx.out(toJson(list));
    const rows = list.map((i) => [
      i.names[0] ?? '<none>',
      i.annotations[PodmanAnnotation.Name] ?? '-',
      criuVersionFromNumber(i.annotations[PodmanAnnotation.CriuVersion])?.text ?? '-',
      formatSize(i.size),
      formatAge(i.created),
      i.id.slice(0, 12),
    ]);
    ctx.out(table(['IMAGE', 'CONTAINER', 'CRIU', 'SIZE', 'CREATED', 'ID'], rows));
  },
};
