import { describeCheckpointAnnotations, EngineError } from '../../engine/index.js';
import type { CliCommand } from '../command.js';
import { formatSize, toJson } from '../../shared/format.js';

export const inspect: CliCommand = {
  name: 'inspect',
  summary: 'Show what a checkpoint image records: container, versions, host',
  usage: 'IMAGE [--json]',
  help: ['--json   print the image and its raw annotations as JSON'],
  options: { json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(ctx, values, [ref]) {
    const image = await ctx.podman.checkpointImage(ref!, { signal: ctx.signal });
    if (!image) {
      throw new EngineError('IMAGE_NOT_FOUND', `inspecting ${ref}: no such image`, { hint: 'list checkpoint images with `ckpt images`' });
    }
    if (values.json) return ctx.out(toJson(image));
    const lines = [
      `Image:    ${image.names.join(', ') || '<none>'}`,
      `ID:       ${image.id}`,
      `Digest:   ${image.digest}`,
      `Size:     ${formatSize(image.size)}`,
      `Created:  ${image.created?.toISOString() ?? '-'}`,
    ];
    for (const group of describeCheckpointAnnotations(image.annotations)) {
      lines.push('', `${group.title}:`);
      const width = Math.max(...group.fields.map((f) => f.label.length));
      for (const f of group.fields) {
        const [first, ...rest] = f.value.split('\n');
        lines.push(`  ${f.label.padEnd(width)}  ${first}`, ...rest.map((l) => `  ${''.padEnd(width)}  ${l}`));
      }
    }
    ctx.out(lines.join('\n'));
  },
};
