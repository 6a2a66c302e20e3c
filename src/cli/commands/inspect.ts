import { describeCheckpointAnnotations, formatReference } from '../../engine/index.js';
import type { CliCommand } from '../command.js';
import { findImage } from '../resolve.js';
import { formatSize, toJson } from '../../shared/format.js';

export const inspect: CliCommand = {
  name: 'inspect',
  summary: 'Show what a checkpoint image records: container, versions, host',
  usage: 'IMAGE [--json]   (IMAGE: a podman name, store:TAG, oci:PATH:TAG or docker://HOST/REPO:TAG)',
  help: ['--json   print the image and its raw annotations as JSON'],
  options: { json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(ctx, values, [text]) {
    const { ref, image } = await findImage(ctx, text!);
    if (values.json) return ctx.out(toJson({ location: ref.kind, ...image }));
    const lines = [
      `Image:    ${formatReference(ref)}`,
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
