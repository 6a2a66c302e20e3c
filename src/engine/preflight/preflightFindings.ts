import { posix } from 'node:path';
import { CriuAnnotation, CrioAnnotation, PodmanAnnotation } from '../annotations.js';
import type { CheckpointArchiveSummary } from '../archive/reader.js';
import { hookAnnotationRemoved, triggersHook } from '../archive/sanitize.js';
import { buildInspectModel } from '../inspect.js';
import type { CheckpointImage } from '../podman/checkpointImages.js';
import type { HostFacts } from '../podman/hostFacts.js';

/** `error`: the restore would fail or must not happen; `warning`: it may misbehave; `info`: worth seeing. */
export type PreflightSeverity = 'error' | 'warning' | 'info';

/** `workspace`: a dev container's clone against the checkpoint's (mount path, git commit). */
/** `sanitize`: what the restore takes out of the checkpoint's metadata (hooks, privileges, host namespaces…). */
/** `network`: a checkpoint that ran in the host's network namespace. */
export type PreflightCheck = 'host' | 'base-image' | 'bind-mount' | 'volume' | 'name' | 'workspace' | 'tcp' | 'sanitize' | 'network';

export interface PreflightFinding {
  severity: PreflightSeverity;
  check: PreflightCheck;
  message: string;
  hint?: string;
  /** A host path outside the workspace the restore would mount (canonical): it needs the user's consent, per path. */
  hostPath?: string;
}

/** Everything the checks compare, gathered beforehand so that the checks themselves are a pure function. */
export interface PreflightFacts {
  image: CheckpointImage;
  contents: CheckpointArchiveSummary;
  host: HostFacts;
  /** The name the restored container will get. */
  restoreName: string;
  containerNames: string[];
  volumeNames: string[];
  /** The base image as this podman has it under the recorded name, if it has it. */
  localBaseImageId?: string;
  /** Host paths that exist here, among the bind-mount sources (after any remapping). */
  existingPaths: ReadonlySet<string>;
  /** Bind mounts under here are the workspace's own; every other host path is flagged. */
  workspaceFolder?: string;
  /** Where each bind-mount source (as the restore uses it) really leads on this host: normalised, links resolved. */
  canonicalPaths?: ReadonlyMap<string, string>;
  /** Bind-mount sources as the restore will use them (dev container remapping), by recorded source. */
  remapped?: ReadonlyMap<string, string>;
  /** An archive (`--import`), which brings named volumes' content; an image does not. */
  fromArchive?: boolean;
  /** The restore is asked to bring back established TCP connections (`--tcp-established`). */
  tcpEstablished?: boolean;
  /** Annotation patterns that trigger OCI hooks installed on this host. */
  hookAnnotations?: readonly RegExp[];
  /** The user chose to restore a checkpoint that ran in the host's network namespace in it again. */
  hostNetwork?: boolean;
}

/**
 * Host paths whose mounting gives a container the host: an image from someone else asking for one of these is
 * refused, whatever else it holds.
 */
/** Folders whose whole tree a checkpoint may never mount: the system, the kernel's views, container storage and runtimes. */
const SENSITIVE_TREES = ['/etc', '/root', '/boot', '/usr', '/bin', '/sbin', '/lib', '/lib64', '/proc', '/sys', '/dev',
  '/var/lib/containers', '/run/containers', '/var/lib/docker', '/run/podman', '/run/docker', '/run/runc', '/run/crun', '/var/run'];
/** Folders that are sensitive themselves, not below them (a project folder under /home is fine, /home is not). */
const SENSITIVE_FOLDERS = ['/', '/home', '/var', '/var/lib', '/run', '/srv', '/opt', '/mnt', '/media', '/tmp'];
/** Credential folders in any home: keys, tokens and cloud logins. */
const CREDENTIAL_FOLDERS = ['.ssh', '.aws', '.kube', '.docker', '.gnupg', '.azure', '.config/gcloud', '.config/gh', '.password-store', '.netrc'];

export function preflightFindings(f: PreflightFacts): PreflightFinding[] {
  return [...hostFindings(f), ...removalFindings(f), ...networkFindings(f), ...baseImageFindings(f), ...mountFindings(f), ...nameFindings(f), ...tcpFindings(f)];
}

/** The host's network namespace: CRIU restores such a checkpoint only in it again, so only if the user says so. */
function networkFindings(f: PreflightFacts): PreflightFinding[] {
  if (!f.contents.sharesHostNetwork) return [];
  return f.hostNetwork
    ? [{ severity: 'warning', check: 'network', message: "the restored container shares the host's network namespace, as you chose", hint: 'its processes see and use every network interface and port of this host' }]
    : [{
        severity: 'error',
        check: 'network',
        message: "refused: the checkpoint ran in the host's network namespace, and CRIU restores it only there",
        hint: 'restore it in the host\'s network only if you trust where it comes from: ckpt restore --host-network, or "Use Host Network" in VS Code',
      }];
}

/** What the restore removes: it restores without it, but a genuine checkpoint asks for none of it. */
function removalFindings(f: PreflightFacts): PreflightFinding[] {
  const hooks = Object.keys(f.contents.specAnnotations).filter((key) => triggersHook(key, f.hookAnnotations ?? [])).map(hookAnnotationRemoved);
  const removed = [...new Set([...f.contents.removedOnRestore, ...hooks])].map((item): PreflightFinding => ({
    severity: 'warning',
    check: 'sanitize',
    message: `removed: ${item}`,
    hint: 'the checkpoint asked for more than a container of its own; it is restored without it, and fails if its processes need it',
  }));
  const refused = f.contents.refusedOnRestore.map((item): PreflightFinding => ({
    severity: 'error',
    check: 'sanitize',
    message: `refused: ${item}`,
    hint: 'a restore cannot give the processes back the confinement they ran without; restore only checkpoints of unprivileged containers',
  }));
  return [...refused, ...removed];
}

function tcpFindings(f: PreflightFacts): PreflightFinding[] {
  const n = f.contents.tcpConnections;
  if (n === 0) return [];
  const connections = `${n} established TCP connection${n === 1 ? '' : 's'}`;
  // CRIU restores saved connections only when told to, and then only if the peers answer as before.
  return f.tcpEstablished
    ? [{ severity: 'warning', check: 'tcp', message: `the checkpoint holds ${connections}; they are restored as they were`, hint: 'their peers must still be reachable at the same addresses, or the restore fails' }]
    : [{ severity: 'error', check: 'tcp', message: `the checkpoint holds ${connections}, and the restore is not asked to bring them back`, hint: 'restore with TCP established (ckpt restore --tcp-established), with the peers still reachable' }];
}

function hostFindings(f: PreflightFacts): PreflightFinding[] {
  const out: PreflightFinding[] = [];
  for (const group of buildInspectModel(f.image, f.host).groups) {
    for (const field of group.fields) {
      if (!field.verdict || field.verdict === 'same') continue;
      const kernel = field.key === PodmanAnnotation.HostKernel || field.key === CriuAnnotation.HostKernel;
      if (field.verdict === 'differs' && !kernel) continue;
      const severity = field.verdict === 'blocker' ? 'error' : 'warning';
      out.push({
        severity,
        check: 'host',
        message: `${field.label}: the checkpoint has ${field.value.split('\n')[0]}, this host ${field.hostValue?.split('\n')[0] ?? 'nothing'}`,
        hint: field.note,
      });
    }
  }
  return out;
}

function baseImageFindings(f: PreflightFacts): PreflightFinding[] {
  const a = f.image.annotations;
  const name = a[PodmanAnnotation.RootfsImageName] ?? a[CrioAnnotation.RootfsImageName] ?? a[CriuAnnotation.RootfsImageName] ?? f.contents.imageName;
  const id = (a[PodmanAnnotation.RootfsImageID] ?? a[CrioAnnotation.RootfsImageID] ?? a[CriuAnnotation.RootfsImageID] ?? f.contents.imageId ?? '').replace(/^sha256:/, '');
  if (!name) return [{ severity: 'warning', check: 'base-image', message: 'the checkpoint does not say which base image it needs' }];
  if (f.localBaseImageId === undefined) {
    // localhost/ is podman's name for images built or loaded here: no registry has them.
    const local = name.startsWith('localhost/');
    return [{
      severity: local ? 'error' : 'warning',
      check: 'base-image',
      message: `the base image ${name} is not here${local ? ', and a localhost/ image cannot be pulled' : '; podman will try to pull it'}`,
      hint: local ? `load or build ${name} here first (the checkpoint holds only the files the container changed)` : `pull it first to see it work: podman pull ${name}`,
    }];
  }
  const here = f.localBaseImageId.replace(/^sha256:/, '');
  if (id && here !== id) {
    return [{
      severity: 'warning',
      check: 'base-image',
      message: `the base image ${name} here is another build (${here.slice(0, 12)}, the checkpoint used ${id.slice(0, 12)})`,
      hint: 'files the process had open may differ; pull or load the exact image if the restore misbehaves',
    }];
  }
  return [];
}

function mountFindings(f: PreflightFacts): PreflightFinding[] {
  const out: PreflightFinding[] = [];
  for (const m of f.contents.mounts.bind) {
    const source = f.remapped?.get(m.source) ?? m.source;
    // Judged where it really leads on this host: normalised, symlinks resolved.
    const real = f.canonicalPaths?.get(source) ?? posix.normalize(source);
    const resolved = real === source ? '' : ` (resolves to ${real})`;
    const shown = `${source === m.source ? source : `${source} (recorded as ${m.source})`}${resolved}`;
    const mode = m.readOnly ? 'read-only' : 'read-write';
    const reason = sensitivePathReason(real, f.host.graphRoot || undefined);
    if (reason) {
      out.push({
        severity: 'error',
        check: 'bind-mount',
        message: `refused: the checkpoint asks to bind-mount the host's ${shown} at ${m.destination} (${mode}): ${reason}`,
        hint: 'a checkpoint must not reach into the host like this; if you made it yourself and mean it, restore it with podman directly',
      });
      continue;
    }
    if (!f.existingPaths.has(source)) {
      out.push({
        severity: 'error',
        check: 'bind-mount',
        message: `the bind-mount source ${shown} for ${m.destination} does not exist here`,
        hint: 'CRIU needs the files the process had open: create or clone that folder, or restore as this workspace\'s dev container',
      });
      continue;
    }
    const inside = f.workspaceFolder !== undefined && isUnder(real, f.workspaceFolder);
    out.push({
      severity: inside ? 'info' : 'warning',
      check: 'bind-mount',
      message: `host path ${shown} is mounted at ${m.destination} (${mode})${inside ? ', inside the workspace' : ', outside the workspace'}`,
      hint: inside ? undefined : 'the restored process can read and write it: allow this path only if you trust where this checkpoint comes from',
      ...(inside ? {} : { hostPath: real }),
    });
  }
  for (const v of f.contents.mounts.volumes) {
    if (!f.volumeNames.includes(v.name)) continue;
    // An archive carries the volume's content, and podman refuses to import it over an existing volume.
    out.push(
      f.fromArchive
        ? {
            severity: 'error',
            check: 'volume',
            message: `the named volume ${v.name} (at ${v.destination}) already exists here, and the archive brings its own content`,
            hint: `remove the volume (podman volume rm ${v.name}) if its content may go, or restore with podman --ignore-volumes to keep it`,
          }
        : {
            severity: 'warning',
            check: 'volume',
            message: `the named volume ${v.name} (at ${v.destination}) already exists here`,
            hint: 'the restore uses the existing volume; its content may not be what the process expects',
          },
    );
  }
  return out;
}

function nameFindings(f: PreflightFacts): PreflightFinding[] {
  if (!f.containerNames.includes(f.restoreName)) return [];
  return [{
    severity: 'error',
    check: 'name',
    message: `a container named ${f.restoreName} already exists`,
    hint: 'restore under another name (ckpt restore --name NEW), or remove the existing container',
  }];
}

/** Why a host path (canonical: normalised, links resolved) may never be mounted, or undefined when it may. */
export function sensitivePathReason(path: string, graphRoot?: string): string | undefined {
  const clean = path.replace(/\/+$/, '') || '/';
  const tree = [...SENSITIVE_TREES, ...(graphRoot ? [graphRoot] : [])].find((t) => isUnder(clean, t));
  if (tree) return `it is ${clean === tree ? '' : 'inside '}${tree}`;
  if (SENSITIVE_FOLDERS.includes(clean)) return `it is the host's ${clean}`;
  if (/^\/home\/[^/]+$/.test(clean)) return 'it is a home folder';
  const credentials = CREDENTIAL_FOLDERS.find((c) => clean.endsWith(`/${c}`) || clean.includes(`/${c}/`));
  if (credentials) return `it holds credentials (${credentials})`;
  if (clean.endsWith('.sock')) return 'it is a socket, maybe a container runtime\'s';
  return undefined;
}

/** Whether `path` is `folder` or lies below it, judged on normalised paths (`a/../..` climbs, `//` is `/`). */
export function isUnder(path: string, folder: string): boolean {
  const base = posix.normalize(folder).replace(/\/+$/, '');
  const clean = posix.normalize(path);
  return clean === base || clean.startsWith(`${base}/`) || base === '';
}
