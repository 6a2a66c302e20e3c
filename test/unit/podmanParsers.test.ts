import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContainers } from '../../src/engine/podman/containers.js';
import { parseCheckpointImages } from '../../src/engine/podman/checkpointImages.js';
import { parsePodmanInfo, minimumCriuFor } from '../../src/engine/podman/hostFacts.js';
import { parseStatsOutput } from '../../src/engine/podman/stats.js';
import { parseLoadOutput } from '../../src/engine/podman/layoutTransfer.js';
import { parseEvent } from '../../src/engine/podman/events.js';

describe('container parsing', () => {
  const inspect = [
    { Id: 'a1', Name: 'web', ImageName: 'localhost/busybox:latest', Image: 'i1', Created: '2023-11-14T22:13:20Z', StaticDir: '/s/a1',
      State: { Status: 'running', Checkpointed: false, Restored: true, RestoredAt: '2026-01-01T00:00:00Z', StartedAt: '2026-01-01T00:00:00Z' },
      Config: { Labels: { 'devcontainer.local_folder': '/home/me/proj', 'devcontainer.config_file': '/home/me/proj/.devcontainer/devcontainer.json' } },
      Mounts: [{ Type: 'bind', Source: '/srv/cache', Destination: '/cache' }, { Type: 'bind', Source: '/home/me/proj', Destination: '/workspaces/proj' }] },
    { Id: 'b2', Name: 'old', State: { Status: 'exited', ExitCode: 137, Checkpointed: true, RestoredAt: '0001-01-01T00:00:00Z' }, Config: { Labels: null } },
    { Id: 'c3', Name: 'weird', State: { Status: 'something-new' }, Config: { Labels: { n: 5 } } },
    { Id: 'd4', Name: 'again', State: { Status: 'running', Checkpointed: true, RestoredAt: '0001-01-01T00:00:00Z' } },
  ];

  it('reads names, states, labels and dev-container labels', () => {
    const [web, old, weird] = parseContainers(inspect);
    assert.equal(web!.name, 'web');
    assert.equal(web!.image, 'localhost/busybox:latest');
    assert.equal(web!.state, 'running');
    assert.equal(web!.restored, true);
    assert.equal(web!.staticDir, '/s/a1');
    assert.equal(web!.created?.toISOString(), '2023-11-14T22:13:20.000Z');
    assert.deepEqual(web!.devContainer, { localFolder: '/home/me/proj', configFile: '/home/me/proj/.devcontainer/devcontainer.json', workspaceMount: '/workspaces/proj' });
    assert.equal(old!.devContainer, undefined);
    assert.deepEqual(old!.labels, {});
    assert.equal(old!.exitCode, 137);
    assert.equal(weird!.state, 'unknown');
    assert.deepEqual(weird!.labels, {}, 'non-string label values are dropped');
  });

  it('marks a stopped container with a checkpoint as checkpointed, a running one (leave-running) as running', () => {
    const [, old, , again] = parseContainers(inspect);
    assert.equal(old!.state, 'checkpointed');
    assert.equal(old!.restored, false);
    assert.equal(again!.state, 'running');
    assert.equal(again!.restored, false);
  });

  it('survives output that is not a list', () => {
    assert.deepEqual(parseContainers(null), []);
    assert.deepEqual(parseContainers({ Id: 'x' }), []);
  });
});

describe('checkpoint image parsing', () => {
  it('keeps only images with checkpoint annotations from any of the three families', () => {
    const images = parseCheckpointImages([
      { Id: 'p', RepoTags: ['localhost/p:1'], Size: 10, Created: '2026-01-02T00:00:00Z',
        Annotations: { 'io.podman.annotations.checkpoint.runtime.name': 'runc' } },
      { Id: 'k', Annotations: { 'io.kubernetes.cri-o.annotations.checkpoint.name': 'c' } },
      { Id: 'c', Annotations: { 'org.criu.checkpoint.container.name': 'c' } },
      { Id: 'plain', RepoTags: ['localhost/busybox:latest'], Annotations: {} },
      { Id: 'none' },
    ]);
    assert.deepEqual(images.map((i) => i.id), ['p', 'k', 'c']);
    assert.deepEqual(images[0]!.names, ['localhost/p:1']);
    assert.equal(images[0]!.created?.toISOString(), '2026-01-02T00:00:00.000Z');
  });
});

describe('host facts', () => {
  it('reads the values podman writes into annotations', () => {
    const f = parsePodmanInfo({
      host: { arch: 'amd64', kernel: '6.18.1', cgroupVersion: 'v2', distribution: { distribution: 'debian', version: '12' },
        ociRuntime: { name: 'runc', version: 'runc version 1.1.5\ncommit: x\n' }, conmon: { version: 'conmon version 2.1.6' },
        security: { rootless: false } },
      store: { graphRoot: '/var/lib/containers/storage' },
      version: { Version: '4.3.1' },
    });
    assert.equal(f.runtimeVersion, 'runc version 1.1.5\ncommit: x', 'multi-line, trailing newline trimmed');
    assert.equal(f.podmanVersion, '4.3.1');
    assert.equal(f.distributionName, 'debian');
    assert.equal(f.rootless, false);
  });

  it('needs CRIU 4.1 on kernels from 6.13 on', () => {
    assert.equal(minimumCriuFor('6.18.44-fc'), 40100);
    assert.equal(minimumCriuFor('6.13.0'), 40100);
    assert.equal(minimumCriuFor('7.0.1'), 40100);
    assert.equal(minimumCriuFor('6.12.9'), 31100);
    assert.equal(minimumCriuFor('5.10.0-28-amd64'), 31100);
  });
});

describe('--print-stats', () => {
  it('parses checkpoint and restore statistics', () => {
    const cp = parseStatsOutput(JSON.stringify({ podman_checkpoint_duration: 739037, container_statistics: [
      { Id: 'abc', runtime_checkpoint_duration: 222490, criu_statistics: { freezing_time: 101177, pages_written: 32 } }] }));
    assert.deepEqual(cp, { containerId: 'abc', totalMicros: 739037, runtimeMicros: 222490, criu: { freezing_time: 101177, pages_written: 32 } });
    const rs = parseStatsOutput(JSON.stringify({ podman_restore_duration: 5, container_statistics: [{ Id: 'd', runtime_restore_duration: 3 }] }));
    assert.equal(rs?.totalMicros, 5);
    assert.equal(rs?.runtimeMicros, 3);
    assert.equal(parseStatsOutput('abc123\n'), undefined, 'older podman prints the ID only');
  });
});

describe('podman load output', () => {
  it('podman 4: the folder-path name is temporary and dropped after tagging', () => {
    assert.deepEqual(parseLoadOutput('Getting image source signatures\nLoaded image: localhost/tmp/ckpt-x1:latest\n'),
      { loaded: 'localhost/tmp/ckpt-x1:latest', temporaryName: true });
  });
  it('podman 5: an image ID is no name, so nothing is untagged', () => {
    const id = `sha256:${'ab'.repeat(32)}`;
    assert.deepEqual(parseLoadOutput(`Loaded image: ${id}\n`), { loaded: id, temporaryName: false });
  });
  it('no image named: undefined', () => {
    assert.equal(parseLoadOutput('Getting image source signatures\n'), undefined);
  });
});

describe('podman events', () => {
  // Lines as each podman wrote them here (Attributes trimmed).
  it('podman 4.3: Time as RFC 3339', () => {
    const e = parseEvent('{"ID":"21018f","Image":"localhost/busybox:latest","Name":"counter","Status":"checkpoint","Time":"2026-12-04T10:19:38.188740264Z","Type":"container"}');
    assert.deepEqual(e, { type: 'container', status: 'checkpoint', id: '21018f', name: 'counter', time: new Date('2026-12-04T10:19:38.188Z') });
  });
  it('podman 5.4: time as Unix seconds beside timeNano', () => {
    const e = parseEvent('{"ID":"d0bc3d","Image":"localhost/busybox:latest","Name":"counter","Status":"restore","time":1796379400,"timeNano":1796379400203199727,"Type":"container"}');
    assert.deepEqual(e, { type: 'container', status: 'restore', id: 'd0bc3d', name: 'counter', time: new Date(1796379400 * 1000) });
  });
  it('a line that is no event: undefined', () => {
    assert.equal(parseEvent('Error: something'), undefined);
    assert.equal(parseEvent('{"Type":"container"}'), undefined);
  });
});
