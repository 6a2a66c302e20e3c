import { resolve } from 'node:path';
import type { RestoreSource } from '../../engine/index.js';
import { loadEngine, UsageError, type CliCommand, type CliContext, type OptionValues } from '../command.js';
import { copyContext } from '../resolve.js';
import { formatPreflightReport } from '../../shared/preflightReport.js';
import { formatMicros, toJson } from '../../shared/format.js';

export const restore: CliCommand = {
  name: 'restore',
  summary: 'Restore a container from a checkpoint image, an archive, or a checkpointed container in place',
  usage: '(IMAGE | --import FILE | --in-place CONTAINER) [--name NAME] [--dry-run] [options]   (IMAGE: podman name, store:TAG or docker://HOST/REPO:TAG)',
  help: [
    '--dry-run             only check the checkpoint against this host (preflight) and print the report',
    '--workspace DIR       bind mounts under DIR are the workspace\'s; other host paths are flagged',
    '--allow-host-path P   let the restore mount host path P outside the workspace; one flag per path (repeatable)',
    '--dev-container DIR   restore a dev container\'s checkpoint as the dev container of DIR, your clone of its',
    '                      workspace: the workspace mount and devcontainer labels move to DIR',
    '--import FILE         restore from a checkpoint archive',
    '--in-place            restore the checkpointed container named by the argument',
    '--name NAME, -n       name of the new container (needed while the original exists)',
    '--publish P, -p       publish a port, as in podman run (repeatable)',
    '--ignore-static-ip    do not reuse the checkpointed IP address',
    '--ignore-static-mac   do not reuse the checkpointed MAC address',
    '--tcp-established     restore established TCP connections',
    '--host-network        let a checkpoint that ran in the host\'s network namespace restore in it again',
    '--keep                keep CRIU files and logs',
    '--json                print the result as JSON',
  ],
  options: {
    import: { type: 'string', short: 'i' },
    'in-place': { type: 'boolean' },
    name: { type: 'string', short: 'n' },
    publish: { type: 'string', short: 'p', multiple: true },
    'ignore-static-ip': { type: 'boolean' },
    'ignore-static-mac': { type: 'boolean' },
    'tcp-established': { type: 'boolean' },
    'host-network': { type: 'boolean' },
    keep: { type: 'boolean' },
    json: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    workspace: { type: 'string' },
    'dev-container': { type: 'string' },
    'allow-host-path': { type: 'string', multiple: true },
  },
  positionals: { min: 0, max: 1 },
  async run(ctx, v, [arg]) {
    const requested = sourceOf(arg, v.import as string | undefined, v['in-place'] === true);
    const devFolder = v['dev-container'] ? resolve(v['dev-container'] as string) : undefined;
    if (devFolder && requested.kind !== 'image') throw new UsageError('--dev-container restores a checkpoint image, not an archive or a container in place');
    const { parseReference, withCheckpointArchive } = await loadEngine();
    const ref = requested.kind === 'image' && !devFolder ? parseReference(requested.ref) : undefined;
    if (ref?.kind !== 'store' && ref?.kind !== 'registry') return restoreFrom(ctx, v, arg, requested, devFolder);
    // Every restore imports an archive, a checked copy: the store's or a registry's image is read into one, not
    // loaded into podman's storage and tarred back out of it (two more copies of the checkpoint).
    return withCheckpointArchive(copyContext(ctx), ref, { signal: ctx.signal }, ({ path, annotations }) => {
      ctx.note(`read ${arg} into a checkpoint archive`);
      return restoreFrom(ctx, v, arg, { kind: 'archive', path }, undefined, { ref: arg!, annotations });
    });
  },
};

/** The restore of `requested`; `image` names the checkpoint image an archive was read from. */
async function restoreFrom(
  ctx: CliContext,
  v: OptionValues,
  arg: string | undefined,
  requested: RestoreSource,
  devFolder: string | undefined,
  image?: { ref: string; annotations: Record<string, string> },
): Promise<void> {
  let source = requested;
  const { EngineError, intoPodman, planDevContainerRestore, preflightRestore, restoreDevContainer, restoreSanitized, unallowedHostPaths } = await loadEngine();
  const name = v.name as string | undefined;
  const hostNetwork = v['host-network'] === true;
  if (source.kind === 'image') {
    // Podman restores only from its own storage: a dev container's image of the store or a registry is copied there first.
    const inPodman = await intoPodman(copyContext(ctx), source.ref, { signal: ctx.signal });
    if (inPodman !== source.ref) ctx.note(`copied ${source.ref} into podman as ${inPodman}`);
    source = { kind: 'image', ref: inPodman };
  }
  const plan = devFolder && source.kind === 'image' ? await planDevContainerRestore(ctx.podman, source.ref, devFolder, { name, tcpEstablished: v['tcp-established'] === true, hostNetwork, signal: ctx.signal }) : undefined;
  // Every restore of an image or archive is checked first; errors stop it, warnings are shown.
  if (source.kind !== 'container') {
    const workspaceFolder = v.workspace ? resolve(v.workspace as string) : undefined;
    const report = plan?.report ?? (await preflightRestore(ctx.podman, source, { name, workspaceFolder, tcpEstablished: v['tcp-established'] === true, hostNetwork, image, signal: ctx.signal }));
    if (v['dry-run']) {
      if (v.json) ctx.out(toJson(report));
      else ctx.out(formatPreflightReport(report));
      if (!report.canRestore) throw new EngineError('PREFLIGHT_FAILED', `${report.source} would not restore here: see the errors above`);
      return;
    }
    if (!report.canRestore) {
      ctx.note(formatPreflightReport(report));
      throw new EngineError('PREFLIGHT_FAILED', `${report.source} would not restore here: see the errors above`, { hint: 'fix what they name, then restore again' });
    }
    for (const f of report.findings.filter((x) => x.severity === 'warning')) ctx.note(`warning: ${f.message}`);
    const unallowed = await unallowedHostPaths(report, ((v['allow-host-path'] as string[] | undefined) ?? []).map((p) => resolve(p)));
    if (unallowed.length) {
      throw new EngineError('PREFLIGHT_FAILED', `${report.source} would mount ${unallowed.length === 1 ? 'a host path' : 'host paths'} outside the workspace: ${unallowed.join(', ')}`, {
        hint: `only if you trust where this checkpoint comes from, allow each one: ${unallowed.map((p) => `--allow-host-path ${p}`).join(' ')}`,
      });
    }
  } else if (v['dry-run']) throw new UsageError('--dry-run checks an image or an archive, not a restore in place');
  ctx.note(`restoring ${arg ?? v.import}...`);
  const options = {
    name,
    publish: v.publish as string[] | undefined,
    ignoreStaticIp: v['ignore-static-ip'] === true,
    ignoreStaticMac: v['ignore-static-mac'] === true,
    tcpEstablished: v['tcp-established'] === true,
    keep: v.keep === true,
    signal: ctx.signal,
  };
  // Images and archives restore from the engine's sanitized copy; a container in place was checked when made here.
  const result = plan && source.kind === 'image'
    ? await restoreDevContainer(ctx.podman, source.ref, plan, options)
    : source.kind === 'container' ? await ctx.podman.restore(source, options) : await restoreSanitized(ctx.podman, source, { ...options, hostNetwork });
  if (v.json) return ctx.out(toJson(result));
  const took = result.stats ? ` in ${formatMicros(result.stats.totalMicros)}` : '';
  ctx.out(`restored ${result.container.name} (${result.container.id.slice(0, 12)}), ${result.container.state}${took}`);
}

function sourceOf(arg: string | undefined, file: string | undefined, inPlace: boolean): RestoreSource {
  if (file) {
    if (arg || inPlace) throw new UsageError('--import takes no IMAGE argument and no --in-place');
    return { kind: 'archive', path: resolve(file) };
  }
  if (!arg) throw new UsageError('name a checkpoint image, or use --import FILE');
  return inPlace ? { kind: 'container', nameOrId: arg } : { kind: 'image', ref: arg };
}
