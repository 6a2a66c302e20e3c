import { resolve } from 'node:path';
import type { DiffLine, ImageReference } from '../../engine/index.js';
import { loadEngine, type CliCommand } from '../command.js';
import { formatSize, toJson } from '../../shared/format.js';
import { describeFd } from '../../shared/openFiles.js';

export const diff: CliCommand = {
  name: 'diff',
  summary: 'Compare two checkpoints: processes, open files and sockets, environment, memory, mounts, changed files, annotations',
  usage: 'REF_A REF_B [--json]\n' +
    '       (REF: archive:FILE, a podman name, store:TAG, oci:PATH:TAG, oci-archive:FILE, docker-archive:FILE or docker://HOST/REPO:TAG)',
  help: [
    '--json      print it as JSON (CheckpointDiff, with its version)',
    'What B adds (+), lacks (-) and changes (~) against A. Processes are matched by PID (a PID that runs another command',
    'in B is named as such); command lines and environments are read from the memory pages of both.',
    'The exit code is 0 whether or not they differ (an error is not 0): `--json` has `equal` for scripts.',
  ],
  options: { json: { type: 'boolean' } },
  positionals: { min: 2, max: 2 },
  async run(ctx, values, [textA, textB]) {
    const { compareCheckpoints, describeCheckpointDiff, parseReference } = await loadEngine();
    const { diff: d } = await compareCheckpoints(ctx, absolute(parseReference(textA!)), absolute(parseReference(textB!)), {
      signal: ctx.signal,
      onReading: (side, ref) => ctx.note(`reading ${side}: ${ref}`),
    });
    if (values.json) return ctx.out(toJson(d));
    const lines = [`A: ${d.a}`, `B: ${d.b}`, ''];
    if (d.equal) lines.push('no differences');
    for (const section of describeCheckpointDiff(d, { size: formatSize, fd: describeFd })) {
      lines.push(section.title, ...section.lines.flatMap((l) => render(l, '  ')), '');
    }
    if (d.notes.length) lines.push(...(d.equal ? [''] : []), 'Not compared:', ...d.notes.map((n) => `  ${n}`));
    ctx.out(lines.join('\n').trimEnd());
  },
};

/** A file reference made absolute, so the diff's header names it unambiguously. */
function absolute(ref: ImageReference): ImageReference {
  return ref.kind === 'archive' || ref.kind === 'oci-archive' || ref.kind === 'docker-archive' ? { ...ref, path: resolve(ref.path) } : ref;
}

function render(line: DiffLine, indent: string): string[] {
  return [`${indent}${line.sign} ${line.text}`, ...(line.details ?? []).flatMap((d) => render(d, `${indent}    `))];
}
