import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildInspectModel, PodmanAnnotation, type CheckpointImage, type HostFacts } from '../../src/engine/index.js';

const host: HostFacts = {
  podmanVersion: '4.3.1', criu: { number: 40101, text: '4.1.1' }, runtimeName: 'runc', runtimeVersion: 'runc version 1.1.5',
  conmonVersion: 'conmon 2.1.6', kernel: '6.18.1', arch: 'amd64', cgroupsVersion: 'v1', distributionName: 'debian',
  distributionVersion: '12', rootless: false, graphRoot: '/var/lib/containers/storage',
};

function image(annotations: Record<string, string>): CheckpointImage {
  return { id: 'abc', names: ['localhost/x:1'], digest: 'sha256:1', size: 1, created: new Date(0), annotations };
}

function field(model: ReturnType<typeof buildInspectModel>, label: string) {
  return model.groups.flatMap((g) => g.fields).find((f) => f.label === label);
}

describe('inspect model against this host', () => {
  it('matches a checkpoint made here', () => {
    const m = buildInspectModel(image({
      [PodmanAnnotation.HostArch]: 'amd64', [PodmanAnnotation.RuntimeName]: 'runc', [PodmanAnnotation.CriuVersion]: '40101',
      [PodmanAnnotation.HostKernel]: '6.18.1',
    }), host);
    assert.equal(m.worst, 'same');
    assert.deepEqual(field(m, 'CRIU'), { label: 'CRIU', key: PodmanAnnotation.CriuVersion, value: '4.1.1', hostValue: '4.1.1', verdict: 'same', note: undefined });
  });

  it('blocks another architecture or runtime, warns about an older CRIU here, notes a kernel difference', () => {
    const m = buildInspectModel(image({
      [PodmanAnnotation.HostArch]: 'arm64', [PodmanAnnotation.RuntimeName]: 'crun', [PodmanAnnotation.CriuVersion]: '40200',
      [PodmanAnnotation.HostKernel]: '6.1.0',
    }), host);
    assert.equal(m.worst, 'blocker');
    assert.equal(field(m, 'Architecture')?.verdict, 'blocker');
    assert.equal(field(m, 'Architecture')?.hostValue, 'amd64');
    assert.equal(field(m, 'Runtime')?.verdict, 'blocker');
    assert.equal(field(m, 'CRIU')?.verdict, 'warning');
    assert.match(field(m, 'CRIU')!.note!, /older/);
    assert.equal(field(m, 'Kernel')?.verdict, 'differs');
  });

  it('treats a newer CRIU here as fine and a missing one as a blocker', () => {
    assert.equal(field(buildInspectModel(image({ [PodmanAnnotation.CriuVersion]: '31700' }), host), 'CRIU')?.verdict, 'differs');
    const noCriu = buildInspectModel(image({ [PodmanAnnotation.CriuVersion]: '40101' }), { ...host, criu: undefined, criuProblem: 'no criu' });
    assert.equal(field(noCriu, 'CRIU')?.verdict, 'blocker');
    assert.equal(field(noCriu, 'CRIU')?.note, 'no criu');
  });

  it('shows values without verdicts when the host is unknown', () => {
    const m = buildInspectModel(image({ [PodmanAnnotation.HostArch]: 'arm64' }));
    assert.equal(m.worst, 'same');
    assert.equal(field(m, 'Architecture')?.verdict, undefined);
    assert.equal(m.image.created, '1970-01-01T00:00:00.000Z');
  });
});
