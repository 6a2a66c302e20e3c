/** The restore preflight's checks, on facts made up to hit each rule, and the mounts read from a checkpoint. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { PodmanAnnotation, preflightFindings, readCheckpointArchive, remapPath, type HostFacts, type PreflightFacts } from '../../src/engine/index.js';
import { tarOf } from './archive/fixtures.js';
import { inventoryImage } from '../support/criuImages.js';

const host: HostFacts = {
  podmanVersion: '4.3.1', criu: { number: 40101, text: '4.1.1' }, runtimeName: 'runc', runtimeVersion: 'runc 1.1.5', conmonVersion: '2.1.6',
  kernel: '6.13.0', arch: 'amd64', cgroupsVersion: 'v2', distributionName: 'debian', distributionVersion: '12', rootless: false, graphRoot: '/var/lib/containers/storage',
};
const annotations = {
  [PodmanAnnotation.RuntimeName]: 'runc', [PodmanAnnotation.HostArch]: 'amd64', [PodmanAnnotation.CriuVersion]: '40101',
  [PodmanAnnotation.HostKernel]: '6.13.0', [PodmanAnnotation.CgroupsVersion]: 'v2', [PodmanAnnotation.Name]: 'web',
  [PodmanAnnotation.RootfsImageName]: 'localhost/busybox:latest', [PodmanAnnotation.RootfsImageID]: 'abc123',
};

function facts(over: Partial<PreflightFacts> & { annotations?: Record<string, string>; bind?: PreflightFacts['contents']['mounts']['bind']; volumes?: PreflightFacts['contents']['mounts']['volumes']; tcpConnections?: number } = {}): PreflightFacts {
  const { bind = [], volumes = [], annotations: extra = {}, tcpConnections = 0, ...rest } = over;
  return {
    image: { id: 'i', names: ['localhost/web:ckpt'], digest: 'd', size: 1, annotations: { ...annotations, ...extra } },
    contents: {
      engine: 'podman', compression: 'none', containerName: 'web', containerId: 'c', sizes: { checkpoint: 1, memoryPages: 1, rootfsDiff: 0 },
      specAnnotations: {}, labels: {}, mounts: { bind, volumes }, tcpConnections, entryCount: 5, removedOnRestore: [], refusedOnRestore: [], sharesHostNetwork: false,
    },
    host,
    restoreName: 'web-copy',
    containerNames: ['web'],
    volumeNames: [],
    localBaseImageId: 'sha256:abc123',
    existingPaths: new Set(['/work/shop', '/srv/data']),
    ...rest,
  };
}
const severities = (f: PreflightFacts) => preflightFindings(f).map((x) => `${x.severity}:${x.check}`);

describe('restore preflight', () => {
  it('finds nothing when the host matches and nothing is mounted', () => {
    assert.deepEqual(preflightFindings(facts()), []);
  });

  it('another architecture or runtime is an error, an older CRIU and another kernel or cgroups are warnings', () => {
    assert.deepEqual(severities(facts({ annotations: { [PodmanAnnotation.HostArch]: 'arm64' } })), ['error:host']);
    assert.deepEqual(severities(facts({ annotations: { [PodmanAnnotation.RuntimeName]: 'crun' } })), ['error:host']);
    assert.deepEqual(severities(facts({ annotations: { [PodmanAnnotation.CriuVersion]: '40200' } })), ['warning:host']);
    assert.deepEqual(severities(facts({ annotations: { [PodmanAnnotation.HostKernel]: '6.1.0' } })), ['warning:host']);
    assert.deepEqual(severities(facts({ annotations: { [PodmanAnnotation.CgroupsVersion]: 'v1' } })), ['warning:host']);
    // A newer CRIU here reads older images.
    assert.deepEqual(severities(facts({ annotations: { [PodmanAnnotation.CriuVersion]: '31700' } })), []);
  });

  it('a missing localhost/ base image is an error, a pullable one a warning, another build a warning', () => {
    assert.deepEqual(severities(facts({ localBaseImageId: undefined })), ['error:base-image']);
    assert.deepEqual(severities(facts({ localBaseImageId: undefined, annotations: { [PodmanAnnotation.RootfsImageName]: 'quay.io/me/web:1' } })), ['warning:base-image']);
    assert.deepEqual(severities(facts({ localBaseImageId: 'sha256:fff' })), ['warning:base-image']);
  });

  it('shows every bind mount: inside the workspace as info, outside as a warning, missing as an error', () => {
    const bind = [
      { source: '/work/shop', destination: '/workspaces/shop', readOnly: false },
      { source: '/srv/data', destination: '/data', readOnly: true },
      { source: '/gone/folder', destination: '/x', readOnly: false },
    ];
    const found = preflightFindings(facts({ bind, workspaceFolder: '/work/shop' }));
    assert.deepEqual(found.map((f) => f.severity), ['info', 'warning', 'error']);
    assert.match(found[1]!.message, /\/srv\/data is mounted at \/data \(read-only\), outside the workspace/);
    assert.match(found[2]!.message, /\/gone\/folder .* does not exist here/);
  });

  it('refuses an image that asks for the host: /etc, /, a home folder, ~/.ssh, the podman socket', () => {
    for (const source of ['/etc', '/', '/home/alice', '/root/.ssh', '/home/alice/.ssh', '/run/podman/podman.sock', '/var/lib/containers', '/etc/']) {
      const found = preflightFindings(facts({ bind: [{ source, destination: '/mnt', readOnly: true }], existingPaths: new Set([source]) }));
      assert.deepEqual(found.map((f) => f.severity), ['error'], source);
      assert.match(found[0]!.message, /asks to bind-mount the host's/);
    }
  });

  it('judges where a path really leads: other spellings, files inside refused trees, links, /proc, storage, credentials', () => {
    const cases: [string, RegExp, string?][] = [
      ['/etc/../etc', /\/etc\/\.\.\/etc \(resolves to \/etc\) .*: it is \/etc$/],
      ['//etc//', /: it is \/etc$/],
      ['/etc/shadow', /: it is inside \/etc$/],
      ['/proc/1/root', /: it is inside \/proc$/],
      ['/var/lib/containers/storage/overlay', /: it is inside \/var\/lib\/containers$/],
      ['/home/alice/.aws/credentials', /it holds credentials \(\.aws\)$/],
      ['/home/alice/projects/../.kube', /it holds credentials \(\.kube\)$/],
      ['/srv/app.sock', /it is a socket/],
      ['/data/innocent', /\(resolves to \/etc\/ssh\) .*: it is inside \/etc$/, '/etc/ssh'],
    ];
    for (const [source, message, linkTo] of cases) {
      const canonicalPaths = linkTo ? new Map([[source, linkTo]]) : undefined;
      const found = preflightFindings(facts({ bind: [{ source, destination: '/mnt', readOnly: true }], existingPaths: new Set([source]), canonicalPaths }));
      assert.deepEqual(found.map((f) => f.severity), ['error'], source);
      assert.match(found[0]!.message, /^refused: /, source);
      assert.match(found[0]!.message, message, source);
    }
    const graph = preflightFindings(facts({ bind: [{ source: '/srv/storage/x', destination: '/mnt', readOnly: true }], existingPaths: new Set(['/srv/storage/x']), host: { ...host, graphRoot: '/srv/storage' } }));
    assert.match(graph[0]!.message, /it is inside \/srv\/storage$/);
  });

  it('asks for each host path outside the workspace by its canonical path', () => {
    const found = preflightFindings(facts({ bind: [{ source: '/srv/data/../data', destination: '/data', readOnly: false }], existingPaths: new Set(['/srv/data/../data']) }));
    assert.equal(found[0]!.severity, 'warning');
    assert.equal(found[0]!.hostPath, '/srv/data');
  });

  it("moves only what is really under the author's folder: '..' cannot climb out of it", () => {
    assert.equal(remapPath('/home/alice/shop/../../../etc', '/home/alice/shop', '/work/shop'), undefined);
    assert.equal(remapPath('/home/alice/shop//src/./app', '/home/alice/shop', '/work/shop'), '/work/shop/src/app');
    assert.equal(remapPath('/home/alice/shop', '/home/alice/shop/', '/work/shop'), '/work/shop');
    assert.equal(remapPath('/home/alice/shopping', '/home/alice/shop', '/work/shop'), undefined);
  });

  it('checks remapped sources, not the recorded ones', () => {
    const remapped = new Map([['/home/author/shop', '/work/shop']]);
    const found = preflightFindings(facts({ bind: [{ source: '/home/author/shop', destination: '/workspaces/shop', readOnly: false }], remapped, workspaceFolder: '/work/shop' }));
    assert.deepEqual(found.map((f) => f.severity), ['info']);
    assert.match(found[0]!.message, /\/work\/shop \(recorded as \/home\/author\/shop\)/);
  });

  it('an existing volume stops an archive import (podman refuses) and is a warning for an image', () => {
    const volumes = [{ name: 'cache', destination: '/cache' }];
    assert.deepEqual(severities(facts({ volumes, volumeNames: ['cache'], fromArchive: true })), ['error:volume']);
    assert.deepEqual(severities(facts({ volumes, volumeNames: ['cache'] })), ['warning:volume']);
  });

  it('established TCP connections need the restore to bring them back: an error without, a warning with', () => {
    assert.deepEqual(severities(facts({ tcpConnections: 2 })), ['error:tcp']);
    assert.deepEqual(severities(facts({ tcpConnections: 2, tcpEstablished: true })), ['warning:tcp']);
    assert.match(preflightFindings(facts({ tcpConnections: 2 }))[0]!.message, /2 established TCP connections/);
  });

  it('a container name in use is an error', () => {
    assert.deepEqual(severities(facts({ restoreName: 'web' })), ['error:name']);
  });
});

describe('mounts read from a checkpoint', () => {
  const managed = (dest: string, file: string) => ({ destination: dest, type: 'bind', source: `/var/lib/containers/storage/overlay-containers/c0/userdata/${file}`, options: ['bind'] });
  const archive = (config: object, spec: object) =>
    tarOf([
      { name: 'config.dump', body: JSON.stringify({ id: 'c0', name: 'web', ...config }) },
      { name: 'spec.dump', body: JSON.stringify({ annotations: { 'io.container.manager': 'libpod' }, ...spec }) },
      { name: 'checkpoint/', type: '5' },
      { name: 'checkpoint/inventory.img', body: inventoryImage() },
      { name: 'checkpoint/tcp-stream-1a2b.img', body: 'q' },
      { name: 'checkpoint/tcp-stream-ff.img', body: 'q' },
    ]);

  it("keeps the user's bind mounts and named volumes, leaves out podman's own files", async () => {
    const summary = await readCheckpointArchive(
      Readable.from([
        archive(
          { namedVolumes: [{ volumeName: 'cache', dest: '/cache' }], userVolumes: ['/workspaces/shop', '/cache'], labels: { 'devcontainer.local_folder': '/home/a/shop' } },
          {
            mounts: [
              { destination: '/proc', type: 'proc', source: 'proc' },
              managed('/etc/hosts', 'hosts'),
              managed('/dev/shm', 'shm'),
              { destination: '/cache', type: 'bind', source: '/var/lib/containers/storage/volumes/cache/_data', options: ['rbind'] },
              { destination: '/workspaces/shop', type: 'bind', source: '/home/a/shop', options: ['rw', 'rbind'] },
            ],
          },
        ),
      ]),
    );
    assert.deepEqual(summary.mounts, { bind: [{ source: '/home/a/shop', destination: '/workspaces/shop', readOnly: false }], volumes: [{ name: 'cache', destination: '/cache' }] });
    assert.equal(summary.labels['devcontainer.local_folder'], '/home/a/shop');
    assert.equal(summary.tcpConnections, 2, 'one tcp-stream image per established connection');
  });

  it('a hostile image cannot hide a mount: /etc/hosts from /etc/shadow, or a mount only in config.dump, shows', async () => {
    const summary = await readCheckpointArchive(
      Readable.from([
        archive(
          { spec: { mounts: [{ destination: '/host', type: 'bind', source: '/', options: ['rbind'] }] } },
          { mounts: [{ destination: '/etc/hosts', type: 'bind', source: '/etc/shadow', options: ['bind'] }] },
        ),
      ]),
    );
    assert.deepEqual(summary.mounts.bind.map((b) => b.source).sort(), ['/', '/etc/shadow']);
  });
});
