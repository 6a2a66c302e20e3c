import { criuVersionFromNumber, parseCriuVersionOutput, type CriuVersion } from '../criuVersion.js';
import { EngineError } from '../errors.js';
import type { PodmanExec, RunOptions } from './exec.js';
import { asObject, str } from './json.js';

/** This host as podman describes it: the same values podman writes into checkpoint annotations. */
export interface HostFacts {
  podmanVersion: string;
  /** undefined when CRIU is missing or unusable; `criuProblem` then says why. */
  criu?: CriuVersion;
  criuProblem?: string;
  runtimeName: string;
  /** The whole `<runtime> --version` output (several lines). */
  runtimeVersion: string;
  conmonVersion: string;
  kernel: string;
  /** Go architecture names: amd64, arm64. */
  arch: string;
  /** v1 or v2 */
  cgroupsVersion: string;
  distributionName: string;
  distributionVersion: string;
  rootless: boolean;
  /** Podman's image store, e.g. /var/lib/containers/storage. */
  graphRoot: string;
}

/** Oldest CRIU podman accepts (pkg/criu MinCriuVersion). */
export const MIN_CRIU_VERSION = 31100;

export function parsePodmanInfo(info: unknown): Omit<HostFacts, 'criu' | 'criuProblem'> {
  const root = asObject(info);
  const host = asObject(root.host);
  const distribution = asObject(host.distribution);
  const runtime = asObject(host.ociRuntime);
  const security = asObject(host.security);
  return {
    podmanVersion: str(asObject(root.version).Version),
    runtimeName: str(runtime.name),
    runtimeVersion: str(runtime.version).trimEnd(),
    conmonVersion: str(asObject(host.conmon).version),
    kernel: str(host.kernel),
    arch: str(host.arch),
    cgroupsVersion: str(host.cgroupVersion),
    distributionName: str(distribution.distribution),
    distributionVersion: str(distribution.version),
    rootless: security.rootless === true,
    graphRoot: str(asObject(root.store).graphRoot),
  };
}

export async function readHostFacts(exec: PodmanExec, options: RunOptions = {}): Promise<HostFacts> {
  const info = parsePodmanInfo(await exec.podmanJson(['info', '--format', 'json'], 'reading podman info', options));
  return { ...info, ...(await readCriu(exec, info.kernel, options)) };
}

/** Kernels from 6.13 on map `[vvar_vclock]`, which only CRIU 4.1 and newer understand. */
export function minimumCriuFor(kernel: string): number {
  const m = /^(\d+)\.(\d+)/.exec(kernel);
  const newVdso = m !== null && (Number(m[1]) > 6 || (Number(m[1]) === 6 && Number(m[2]) >= 13));
  return newVdso ? 40100 : MIN_CRIU_VERSION;
}

/** CRIU as podman will find it: the first `criu` in podman's PATH. */
export async function readCriu(exec: PodmanExec, kernel: string, options: RunOptions): Promise<Pick<HostFacts, 'criu' | 'criuProblem'>> {
  let output: string;
  try {
    const result = await exec.runProgram('criu', ['--version'], options);
    output = result.stdout + result.stderr;
  } catch (err) {
    if (err instanceof EngineError && err.code === 'PODMAN_NOT_FOUND') {
      return { criuProblem: 'CRIU is not installed (no `criu` in PATH)' };
    }
    throw err;
  }
  try {
    const criu = parseCriuVersionOutput(output);
    const needed = minimumCriuFor(kernel);
    if (criu.number >= needed) return { criu };
    const min = criuVersionFromNumber(needed)!.text;
    const why = needed === MIN_CRIU_VERSION ? 'the oldest podman accepts' : `needed on kernel ${kernel}`;
    return { criu, criuProblem: `CRIU ${criu.text} is older than ${min}, ${why}` };
  } catch {
    return { criuProblem: `could not read CRIU's version: ${output.trim().slice(0, 200)}` };
  }
}
