/**
 * One real checkpoint of the reference container (support/richCheckpoint.ts), looked at from every place it can
 * be: the archive, podman's storage, the embedded store, an OCI layout, a registry on loopback (the layer streamed,
 * never stored), and the tars `podman save` writes (oci-archive, docker-archive). Every place shows the same
 * processes, command lines, files and changes; CRIU's dump statistics, memory sizes and memory search hits agree
 * with checkpointctl 1.3.0 on the same checkpoint.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CheckpointInspection, MemoryReport } from '../../src/engine/index.js';
import { ckptWith } from '../support/cli.js';
import { inspectWithCheckpointctl, memorySizesWithCheckpointctl, searchMemoryWithCheckpointctl } from '../support/checkpointctl.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { richCheckpoint, type RichCheckpoint } from '../support/richCheckpoint.js';
import { podman, testResources, uniqueName } from '../support/stack.js';

const TIMEOUT = { timeout: 300_000 };

describe('looking inside one checkpoint from every place it can be', { concurrency: false }, () => {
  const res = testResources();
  let rich: RichCheckpoint;
  let registry: TestRegistry;
  let env: Record<string, string>;
  const refs: Record<string, string> = {};
  const run = (...args: string[]) => {
    const r = ckptWith(env, ...args);
    assert.equal(r.code, 0, `ckpt ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const inspect = (ref: string, ...flags: string[]) => JSON.parse(run('inspect', ref, '--all', '--json', ...flags)) as CheckpointInspection;
  const memory = (ref: string, ...flags: string[]) => JSON.parse(run('mem', ref, '--json', ...flags)) as MemoryReport;

  before(async () => {
    rich = await richCheckpoint(res.dir, { onStarted: (name) => res.containers.push(name) });
    registry = await startRegistry();
    env = { CKPT_STORE: join(res.dir, 'store') };
    const name = uniqueName('everywhere');
    const podmanName = `localhost/${name}:ckpt`;
    res.images.push(podmanName);
    refs.archive = `archive:${rich.archive}`;
    run('copy', refs.archive, `podman:${podmanName}`);
    refs.podman = podmanName;
    run('copy', refs.archive, `store:${name}`);
    refs.store = `store:${name}`;
    run('copy', refs.store, `oci:${join(res.dir, 'layout')}:${name}`);
    refs.oci = `oci:${join(res.dir, 'layout')}:${name}`;
    refs.registry = `docker://${registry.host}/everywhere/${name}:v1`;
    run('copy', refs.store, refs.registry);
    await podman('save', '--format', 'oci-archive', '-o', join(res.dir, 'image.oci.tar'), podmanName);
    refs['oci-archive'] = `oci-archive:${join(res.dir, 'image.oci.tar')}`;
    await podman('save', '--format', 'docker-archive', '-o', join(res.dir, 'image.docker.tar'), podmanName);
    refs['docker-archive'] = `docker-archive:${join(res.dir, 'image.docker.tar')}`;
  });
  after(() => registry?.stop());

  it('every place shows the same processes, command lines, environments, files, mounts and changes', TIMEOUT, () => {
    const from = inspect(refs.archive!);
    assert.ok(from.contents.processes.length >= 6, 'the reference tree');
    assert.ok(from.rootfsDiff.some((f) => f.path === rich.planted.heldFile && f.type === 'file'), `the held file is among the changes: ${JSON.stringify(from.rootfsDiff)}`);
    const same = (i: CheckpointInspection) => ({ processes: i.contents.processes, mounts: i.contents.mounts, rootfsDiff: i.rootfsDiff, stats: i.stats, container: i.summary.containerName });
    for (const [kind, ref] of Object.entries(refs)) {
      const seen = inspect(ref);
      assert.equal(seen.reference, kind === 'podman' ? `podman:${ref}` : ref);
      assert.deepEqual(same(seen), same(from), `${kind} shows what the archive holds`);
      assert.deepEqual(seen.contents.notes, [], `${kind}: nothing left out`);
      if (kind === 'archive') assert.equal(seen.annotations, undefined);
      else if (kind === 'docker-archive') assert.match(seen.missing.join('\n'), /docker-archive, which keeps no manifest annotations/);
      else assert.equal(seen.annotations?.['io.podman.annotations.checkpoint.name'], rich.container, `${kind} carries the image's annotations`);
    }
  });

  it('a registry tag is read by streaming its layer once: the bytes read are the layer, and nothing is stored', TIMEOUT, () => {
    const blobsBefore = readdirSync(join(env.CKPT_STORE!, 'blobs', 'sha256')).sort();
    const seen = inspect(refs.registry!);
    const layer = JSON.parse(run('inspect', refs.registry!, '--json')) as { size: number };
    assert.equal(seen.read.passes, 1);
    assert.ok(seen.read.bytes > 0 && seen.read.bytes <= layer.size, `read ${seen.read.bytes} bytes of an image of ${layer.size}`);
    assert.deepEqual(readdirSync(join(env.CKPT_STORE!, 'blobs', 'sha256')).sort(), blobsBefore, 'no blob was stored');
  });

  it('CRIU dump statistics agree with checkpointctl --stats', TIMEOUT, async () => {
    const ctl = await inspectWithCheckpointctl(rich.archive);
    const { stats } = inspect(refs.store!);
    assert.ok(stats && ctl.statistics);
    assert.deepEqual(
      [stats.freezingTimeUs, stats.frozenTimeUs, stats.memdumpTimeUs, stats.memwriteTimeUs, stats.pagesScanned, stats.pagesWritten],
      [ctl.statistics.freezing_time, ctl.statistics.frozen_time, ctl.statistics.memdump_time, ctl.statistics.memwrite_time, ctl.statistics.pages_scanned, ctl.statistics.pages_written],
    );
    assert.match(run('inspect', refs.podman!, '--stats'), new RegExp(`Pages written: ${ctl.statistics.pages_written}$`, 'm'));
  });

  it('memory sizes per process agree with checkpointctl memparse', TIMEOUT, async () => {
    const theirs = await memorySizesWithCheckpointctl(rich.archive);
    for (const ref of [refs.archive!, refs.registry!]) {
      const ours = memory(ref);
      assert.deepEqual(ours.processes.map((p) => [p.pid, p.comm]), theirs.map((t) => [t.pid, t.name]), `${ref}: the same processes`);
      for (const p of ours.processes) {
        const t = theirs.find((x) => x.pid === p.pid)!;
        // memparse prints sizes to a tenth of their unit.
        assert.ok(Math.abs(p.dumpedBytes - t.memoryBytes) <= t.memoryBytes * 0.001 + 52, `${ref}: process ${p.pid} has ${p.dumpedBytes} bytes, checkpointctl says ${t.memory}`);
        assert.ok((p.mappedBytes.stack ?? 0) > 0, `process ${p.pid} has a stack`);
      }
    }
  });

  it('a memory search finds the string only the shell\'s memory holds, at the addresses checkpointctl finds it', TIMEOUT, async () => {
    const mark = rich.planted.memoryString;
    const theirs = await searchMemoryWithCheckpointctl(rich.archive, 1, mark, 4);
    assert.ok(theirs.length > 0, 'checkpointctl finds the planted string');
    for (const ref of [refs.archive!, refs.oci!, refs.registry!]) {
      const ours = memory(ref, '--pid', '1', '--search', mark, '--context', '4');
      assert.deepEqual(ours.matches.map((m) => BigInt(m.address)), theirs.map((t) => t.address), `${ref}: the same addresses`);
      assert.deepEqual(ours.matches.map((m) => m.context), theirs.map((t) => t.match), `${ref}: the same bytes around them`);
    }
    const all = memory(refs.store!, '--search-regex', `ckpt-memory-mark-[0-9a-f]{12}`);
    assert.ok(all.matches.every((m) => m.text === mark), 'the regex finds the mark and nothing else');
    assert.ok(all.matches.some((m) => m.pid === 1));
    assert.match(run('mem', refs.archive!, '--search', 'no such text anywhere 9f8e7d'), /^No matches for/);
  });

  it('a pid that is not there, and a reference to nothing, fail with what to do', TIMEOUT, () => {
    const missing = ckptWith(env, 'mem', refs.archive!, '--pid', '99999');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /the checkpoint has no process 99999/);
    const nothing = ckptWith(env, 'inspect', 'store:no-such-tag', '--ps-tree');
    assert.notEqual(nothing.code, 0);
    assert.match(nothing.stderr, /store:no-such-tag: no such checkpoint image/);
  });
});
