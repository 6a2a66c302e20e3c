import type { CliCommand } from '../command.js';

export const rm: CliCommand = {
  name: 'rm',
  summary: 'Remove a checkpoint image (refuses images that are not checkpoint images)',
  usage: 'IMAGE',
  help: [],
  options: {},
  positionals: { min: 1, max: 1 },
  async run(ctx, _values, [ref]) {
    await ctx.podman.removeCheckpointImage(ref!, { signal: ctx.signal });
    ctx.out(`removed ${ref}`);
  },
};
