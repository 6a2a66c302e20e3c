import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CheckpointMarkerAnnotations, CriuAnnotation, CrioAnnotation, PodmanAnnotation, type HostFacts } from '../../src/engine/index.js';
import { checkpointAnnotations } from '../../src/engine/image/checkpointAnnotations.js';

const host: HostFacts = {
  podmanVersion: '4.3.1', criu: { number: 40101, text: '4.1.1' }, runtimeName: 'runc', runtimeVersion: 'runc version 1.1.5\ncommit: x',
  conmonVersion: 'conmon 2.1.6', kernel: '6.18.1', arch: 'amd64', cgroupsVersion: 'v1', distributionName: 'debian',
  distributionVersion: '12', rootless: false, graphRoot: '/x',
};

describe('checkpointAnnotations', () => {
  const origin = {
    engine: 'podman', containerName: 'web', rawImageName: 'busybox', rootfsImageName: 'localhost/busybox:latest',
    rootfsImageID: 'abc', runtimeName: 'crun',
  };

  it("writes Podman's 14 keys, CRI-O's and checkpointctl's, marking the image for all three", () => {
    const a = checkpointAnnotations(origin, host);
    for (const key of Object.values(PodmanAnnotation)) assert.ok(a[key], `missing ${key}`);
    for (const key of CheckpointMarkerAnnotations) assert.ok(a[key], `missing marker ${key}`);
    assert.equal(a[PodmanAnnotation.CriuVersion], '40101', 'podman reads an integer');
    assert.equal(a[PodmanAnnotation.RuntimeName], 'crun', "the container's runtime wins over the host default");
    assert.equal(a[PodmanAnnotation.RuntimeVersion], 'runc version 1.1.5\ncommit: x');
    assert.equal(a[CrioAnnotation.Name], 'web');
    assert.equal(a[CriuAnnotation.CgroupVersion], 'v1');
    assert.equal(a[CriuAnnotation.RootfsImageUserRequested], 'busybox');
  });

  it('falls back to the host runtime and leaves out what nobody knows', () => {
    const a = checkpointAnnotations({ engine: 'containerd', containerName: 'job' }, { ...host, criu: undefined });
    assert.equal(a[PodmanAnnotation.RuntimeName], 'runc');
    assert.equal(a[PodmanAnnotation.CriuVersion], undefined);
    assert.equal(a[PodmanAnnotation.RootfsImageID], undefined);
    assert.equal(a[CriuAnnotation.EngineName], 'containerd');
  });

  it("adds the user's annotations but refuses to let them overwrite checkpoint keys", () => {
    const a = checkpointAnnotations(origin, host, { 'org.opencontainers.image.description': 'bug #42 reproduced' });
    assert.equal(a['org.opencontainers.image.description'], 'bug #42 reproduced');
    assert.throws(() => checkpointAnnotations(origin, host, { [PodmanAnnotation.HostArch]: 'arm64' }), /set by the checkpoint itself/);
  });
});
