import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  criuVersionFromNumber,
  CriuAnnotation,
  describeCheckpointAnnotations,
  parseCriuVersionOutput,
  PodmanAnnotation,
} from '../../src/engine/index.js';
import { projectRoot } from '../support/paths.js';

describe('annotation vocabulary', () => {
  it("has Podman's 14 keys and checkpointctl's singular cgroup key", () => {
    assert.equal(Object.keys(PodmanAnnotation).length, 14);
    assert.ok(Object.values(PodmanAnnotation).every((k) => k.startsWith('io.podman.annotations.checkpoint.')));
    assert.equal(CriuAnnotation.CgroupVersion, 'org.criu.checkpoint.cgroup.version');
  });
});

describe('CRIU versions', () => {
  it('converts between the integer and dotted forms', () => {
    assert.deepEqual(parseCriuVersionOutput('Version: 4.1.1\nGitID: v4.1.1\n'), { number: 40101, text: '4.1.1' });
    assert.deepEqual(parseCriuVersionOutput('Version: 3.17\n'), { number: 31700, text: '3.17.0' });
    assert.deepEqual(criuVersionFromNumber('40101'), { number: 40101, text: '4.1.1' });
    assert.equal(criuVersionFromNumber('4.1.1'), undefined);
    assert.equal(criuVersionFromNumber(''), undefined);
    assert.throws(() => parseCriuVersionOutput('criu: command not found'));
  });
});

describe('describeCheckpointAnnotations', () => {
  it('groups values for people, shows CRIU dotted, and keeps unknown keys under Other', () => {
    const groups = describeCheckpointAnnotations({
      [PodmanAnnotation.Name]: 'web',
      [PodmanAnnotation.CriuVersion]: '40101',
      [PodmanAnnotation.RuntimeVersion]: 'runc version 1.1.5\ncommit: x',
      [PodmanAnnotation.HostArch]: 'amd64',
      [CriuAnnotation.ContainerName]: 'web',
      'com.example.note': '<b>hi</b>',
    });
    assert.deepEqual(groups.map((g) => g.title), ['Container', 'Versions', 'Host', 'Other']);
    const versions = groups[1]!.fields;
    assert.deepEqual(versions.find((f) => f.label === 'CRIU'), { label: 'CRIU', key: PodmanAnnotation.CriuVersion, value: '4.1.1' });
    assert.equal(groups[0]!.fields.length, 1, 'the same name from two families is shown once');
    assert.deepEqual(groups[3]!.fields, [{ label: 'com.example.note', key: 'com.example.note', value: '<b>hi</b>' }]);
  });

  it('falls back to checkpointctl keys when Podman keys are absent', () => {
    const [container] = describeCheckpointAnnotations({ [CriuAnnotation.ContainerName]: 'job' });
    assert.deepEqual(container!.fields, [{ label: 'Name', key: CriuAnnotation.ContainerName, value: 'job' }]);
  });
});

describe('engine boundary', () => {
  it("never imports 'vscode' (not even types) under src/engine", () => {
    const root = join(projectRoot(), 'src', 'engine');
    const files: string[] = [];
    const walk = (d: string) => readdirSync(d).forEach((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : files.push(join(d, n))));
    walk(root);
    assert.ok(files.length > 5, `engine sources not found under ${root}`);
    for (const f of files) assert.doesNotMatch(readFileSync(f, 'utf8'), /from ['"]vscode['"]|require\(['"]vscode['"]\)/, f);
  });
});
