import type { CliCommand } from '../command.js';
import { formatAge, table, toJson } from '../../shared/format.js';

export const ps: CliCommand = {
  name: 'ps',
  summary: 'List containers with their checkpoint state',
  usage: '[--json]',
  help: ['--json   print JSON for scripts'],
  options: { json: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run(ctx, values) {
    const containers = await ctx.podman.listContainers({ signal: ctx.signal });
    if (values.json) return ctx.out(toJson(containers));
    const rows = containers.map((c) => [
      c.name,
      c.restored ? `${c.state} (restored)` : c.state,
      c.image,
      formatAge(c.created),
      c.devContainer ? `dev container: ${c.devContainer.localFolder}` : '',
      c.id.slice(0, 12),
    ]);
    ctx.out(table(['NAME', 'STATE', 'IMAGE', 'CREATED', 'NOTE', 'ID'], rows));
  },
};
