import { loadEngine, UsageError, type CliCommand, type CliContext } from '../command.js';
import { formatAge, formatSize, table, toJson } from '../../shared/format.js';

export const registry: CliCommand = {
  name: 'registry',
  summary: 'registry ls HOST[/REPO] | registry rm HOST/REPO:TAG: browse a registry, delete a tag',
  usage: 'ls HOST[:PORT][/REPO] [--json] | rm HOST[:PORT]/REPO:TAG',
  help: [
    'ls HOST           the repositories (when the registry allows its catalog)',
    'ls HOST/REPO      its tags, checkpoint images marked, from the manifests alone (no layer is downloaded)',
    'rm HOST/REPO:TAG  delete the manifest: the registry drops every tag that points at it',
    '--json            print JSON for scripts',
    'Push and pull with `ckpt copy`: ckpt copy store:web-bug docker://HOST/team/web:bug',
  ],
  options: { json: { type: 'boolean' } },
  positionals: { min: 2, max: 2 },
  async run(ctx, v, [sub, target]) {
    if (sub === 'ls') return list(ctx, target!, v.json === true);
    if (sub === 'rm') return remove(ctx, target!);
    throw new UsageError(`unknown subcommand ${sub}; try: ckpt registry ls HOST or ckpt registry rm HOST/REPO:TAG`);
  },
};

async function list(ctx: CliContext, target: string, json: boolean): Promise<void> {
  const { criuVersionFromNumber, listRepositoryImages, parseRegistryReference, PodmanAnnotation, formatRegistryReference } = await loadEngine();
  const slash = target.replace(/^docker:\/\//, '').indexOf('/');
  if (slash < 0) {
    const repositories = await ctx.registry(target.replace(/^docker:\/\//, '')).catalog(ctx.signal);
    return ctx.out(json ? toJson(repositories) : repositories.join('\n') || '(no repositories)');
  }
  const ref = parseRegistryReference(target);
  const images = await listRepositoryImages(ctx.registry(ref.registry), ref.repository, ctx.signal);
  if (json) return ctx.out(toJson(images));
  const rows = images.map((i) =>
    'error' in i
      ? [`${ref.registry}/${i.repository}:${i.tag}`, '-', '-', '-', '-', `unreadable: ${i.error}`]
      : [
          formatRegistryReference({ registry: ref.registry, repository: i.repository, tag: i.tag }),
          i.annotations[PodmanAnnotation.Name] ?? '-',
          criuVersionFromNumber(i.annotations[PodmanAnnotation.CriuVersion])?.text ?? '-',
          formatSize(i.size),
          formatAge(i.created),
          i.isCheckpoint ? 'checkpoint' : 'not a checkpoint image',
        ],
  );
  ctx.out(table(['IMAGE', 'CONTAINER', 'CRIU', 'SIZE', 'CREATED', 'KIND'], rows));
}

async function remove(ctx: CliContext, target: string): Promise<void> {
  const { parseRegistryReference, formatRegistryReference } = await loadEngine();
  const ref = parseRegistryReference(target);
  const client = ctx.registry(ref.registry);
  const digest = ref.digest ?? (await client.getManifest(ref.repository, ref.tag ?? 'latest', ctx.signal)).digest;
  await client.deleteManifest(ref.repository, digest, ctx.signal);
  ctx.out(`deleted ${formatRegistryReference(ref)} (${digest})`);
}
