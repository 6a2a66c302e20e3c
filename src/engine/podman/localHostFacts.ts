import { access, readFile } from 'node:fs/promises';
import { arch, release } from 'node:os';
import { isEngineError } from '../errors.js';
import type { PodmanExec, RunOptions } from './exec.js';
import { readCriu, readHostFacts, type HostFacts } from './hostFacts.js';

/** Node's architecture names as Go (and so podman) spells them. */
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/**
 * This host's facts for annotations when podman may be missing: podman's own view when it runs, else what the
 * kernel, /etc/os-release and the tools themselves say. The embedded engine builds images either way.
 */
export async function hostFactsForBuild(exec: PodmanExec, options: RunOptions = {}): Promise<HostFacts> {
  try {
    return await readHostFacts(exec, options);
  } catch (err) {
    if (!isEngineError(err, 'PODMAN_NOT_FOUND')) throw err;
  }
  const kernel = release();
  const [os, cgroupsVersion, runtimeName, criu] = await Promise.all([
    readFile('/etc/os-release', 'utf8').catch(() => ''),
    access('/sys/fs/cgroup/cgroup.controllers').then(() => 'v2', () => 'v1'),
    firstWorking(exec, ['runc', 'crun'], options),
    readCriu(exec, kernel, options),
  ]);
  const field = (key: string) => new RegExp(`^${key}="?([^"\\n]*)"?$`, 'm').exec(os)?.[1] ?? '';
  return {
    podmanVersion: '',
    runtimeName: runtimeName?.name ?? '',
    runtimeVersion: runtimeName?.version ?? '',
    conmonVersion: (await versionOf(exec, 'conmon', options)) ?? '',
    kernel,
    arch: GO_ARCH[arch()] ?? arch(),
    cgroupsVersion,
    distributionName: field('ID'),
    distributionVersion: field('VERSION_ID'),
    rootless: process.getuid?.() !== 0,
    graphRoot: '',
    ...criu,
  };
}

async function versionOf(exec: PodmanExec, tool: string, options: RunOptions): Promise<string | undefined> {
  try {
    const r = await exec.runProgram(tool, ['--version'], options);
    return r.exitCode === 0 ? r.stdout.trimEnd() : undefined;
  } catch {
    return undefined;
  }
}

async function firstWorking(exec: PodmanExec, tools: string[], options: RunOptions) {
  for (const name of tools) {
    const version = await versionOf(exec, name, options);
    if (version) return { name, version };
  }
  return undefined;
}
