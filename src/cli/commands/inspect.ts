import { resolve } from 'node:path';
import type { ImageReference } from '../../engine/index.js';
import { loadEngine, pidOption, type CliCommand, type CliContext, type OptionValues } from '../command.js';
import { renderInspection, type TreeSections } from '../contentsTree.js';
import { findImage } from '../resolve.js';
import { formatSize, toJson } from '../../shared/format.js';

const CONTENTS_FLAGS = ['ps-tree', 'cmdline', 'env', 'files', 'sockets', 'mounts', 'stats', 'changes', 'all', 'pid'] as const;

export const inspect: CliCommand = {
  name: 'inspect',
  summary: 'Show what a checkpoint records (container, versions, host) and holds: processes, files, sockets, mounts, changes',
  usage: 'REF [--ps-tree] [--cmdline] [--env] [--files] [--sockets] [--mounts] [--stats] [--changes] [--all] [--pid N] [--json]\n' +
    '       (REF: archive:FILE, a podman name, store:TAG, oci:PATH:TAG, oci-archive:FILE, docker-archive:FILE or docker://HOST/REPO:TAG)',
  help: [
    '--ps-tree   the process tree (the default for an archive)',
    '--cmdline   each process\'s command line (read from its memory pages)',
    '--env       each process\'s environment (read from its memory pages)',
    '--files     open files, working folder and root of each process',
    '--sockets   open sockets: unix, TCP/UDP (addresses, ports, state), netlink',
    '--mounts    the mounts CRIU restores',
    '--stats     CRIU\'s dump statistics (freezing and frozen time, pages written)',
    '--changes   the files the container changed or deleted (its rootfs diff)',
    '--all       all of the above',
    '--pid N     only process N and its descendants',
    '--json      print it as JSON (with a section or an archive: CheckpointInspection, with contents.version; an image alone: its annotations)',
    'An image alone shows its annotations (no layer is read); any section reads the checkpoint in place: a registry\'s layer is',
    'streamed, never stored. An archive shows the process tree by default.',
  ],
  options: {
    json: { type: 'boolean' }, 'ps-tree': { type: 'boolean' }, cmdline: { type: 'boolean' }, env: { type: 'boolean' }, files: { type: 'boolean' },
    sockets: { type: 'boolean' }, mounts: { type: 'boolean' }, stats: { type: 'boolean' }, changes: { type: 'boolean' }, all: { type: 'boolean' }, pid: { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx, values, [text]) {
    const { describeCheckpointAnnotations, formatReference, parseReference } = await loadEngine();
    const ref = parseReference(text!);
    const isArchive = ref.kind === 'archive' || ref.kind === 'oci-archive' || ref.kind === 'docker-archive';
    if (isArchive || CONTENTS_FLAGS.some((f) => values[f] !== undefined)) return inspectContents(ctx, isArchive ? { ...ref, path: resolve(ref.path) } : ref, values);
    const { image } = await findImage(ctx, text!);
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

async function inspectContents(ctx: CliContext, ref: ImageReference, values: OptionValues): Promise<void> {
  const all = values.all === true;
  const show: TreeSections = {
    psTree: all || values['ps-tree'] === true || values.cmdline === true || values.env === true || values.files === true || values.sockets === true,
    cmdline: all || values.cmdline === true,
    env: all || values.env === true,
    files: all || values.files === true,
    sockets: all || values.sockets === true,
    mounts: all || values.mounts === true,
    stats: all || values.stats === true,
    changes: all || values.changes === true,
  };
  // With no section named, the process tree.
  if (!Object.values(show).some(Boolean)) show.psTree = true;
  const { inspectCheckpoint } = await loadEngine();
  const inspection = await inspectCheckpoint(ctx, ref, { memory: show.cmdline || show.env, pid: pidOption(values), signal: ctx.signal });
  if (values.json) return ctx.out(toJson(inspection));
  ctx.out(renderInspection(inspection, show));
}
