import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetadataEdit } from './repack.js';
import { asArray, asObject, str, type Json } from '../podman/json.js';

/**
 * What a restore takes from a checkpoint made elsewhere is podman's default for a new unprivileged container:
 * config.dump and spec.dump (and config.dump's copy of the spec) are rewritten before podman sees them. Each
 * thing removed is said in words, for the preflight report: "removed: OCI prestart hook /bin/sh -c …".
 */

/** Podman 4's default capabilities (containers.conf default_capabilities): the most a restored container keeps. */
export const DEFAULT_CAPABILITIES: ReadonlySet<string> = new Set(['CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_MKNOD',
  'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT']);
const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'];
/** The namespaces every podman container has of its own. */
const PRIVATE_NAMESPACES = ['pid', 'network', 'ipc', 'uts', 'mount'];
/** The network namespace podman makes for a container, which it replaces on restore. */
const PODMAN_NETNS = /^\/run\/netns\/netns-[0-9a-f-]+$/;
/** Annotations that make the host run something: runc hands CRIU this config file, whose action scripts run as root. */
const HOST_ACTION_ANNOTATIONS = ['org.criu.config'];
/** Mount propagation that would carry mounts made in the container out to the host's mount table. */
const PROPAGATION = new Set(['shared', 'rshared']);
/** File systems of a podman container's own that have no host source. */
export const KERNEL_FILE_SYSTEMS: ReadonlySet<string> = new Set(['proc', 'sysfs', 'tmpfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2']);
/** Views of the host's kernel state a container may only read. */
export const READ_ONLY_FILE_SYSTEMS: ReadonlySet<string> = new Set(['sysfs', 'cgroup', 'cgroup2']);
/** Where OCI hooks installed on this host are described (podman's hooks dirs). */
const HOOK_DIRS = ['/usr/share/containers/oci/hooks.d', '/etc/containers/oci/hooks.d'];

export interface SanitizeOptions {
  /** Annotation patterns that trigger OCI hooks installed on this host (hostHookAnnotations). */
  hookAnnotations?: readonly RegExp[];
  /** The user chose to let a checkpoint that ran in the host's network namespace restore in it again. */
  hostNetwork?: boolean;
}

/** Annotation patterns that trigger a hook installed on this host (hooks.d `when.annotations` keys). */
export async function hostHookAnnotations(dirs = HOOK_DIRS): Promise<RegExp[]> {
  const patterns: RegExp[] = [];
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      // A file podman cannot read either triggers nothing.
      const hook = await readFile(join(dir, name), 'utf8').then((t) => asObject(JSON.parse(t))).catch(() => ({}) as Json);
      for (const key of Object.keys(asObject(asObject(hook.when).annotations))) {
        try {
          patterns.push(new RegExp(key));
        } catch {
          // A pattern podman could not use either.
        }
      }
    }
  }
  return patterns;
}

export function triggersHook(annotation: string, hookAnnotations: readonly RegExp[]): boolean {
  return hookAnnotations.some((p) => p.test(annotation));
}

export function hookAnnotationRemoved(annotation: string): string {
  return `annotation ${annotation}: it triggers an OCI hook installed on this host`;
}

/**
 * The OCI runtime spec with hooks, extra capabilities, host namespaces, devices, sysctls, shared mount
 * propagation and host-acting annotations gone. The host's network namespace is not listed here: a checkpoint
 * that ran in it cannot restore in another, so it is refused or, by the user's choice, kept (sharesHostNetwork).
 */
export function sanitizeSpec(input: Json, options: SanitizeOptions = {}): { spec: Json; removed: string[] } {
  const hookAnnotations = options.hookAnnotations ?? [];
  const spec: Json = structuredClone(input);
  const removed: string[] = [];
  for (const [kind, hooks] of Object.entries(asObject(spec.hooks))) {
    for (const hook of asArray(hooks).map(asObject)) removed.push(`OCI ${kind} hook ${[str(hook.path), ...asArray(hook.args).slice(1).map((a) => str(a))].join(' ')}`);
  }
  delete spec.hooks;
  const capabilities = asObject(asObject(spec.process).capabilities);
  const extra = new Set<string>();
  for (const set of CAPABILITY_SETS) {
    if (!(set in capabilities)) continue;
    const caps = asArray(capabilities[set]).map((c) => str(c));
    for (const c of caps.filter((c) => !DEFAULT_CAPABILITIES.has(c))) extra.add(c);
    capabilities[set] = caps.filter((c) => DEFAULT_CAPABILITIES.has(c));
  }
  for (const c of extra) removed.push(`capability ${c} (not among podman's defaults)`);
  const linux = asObject(spec.linux);
  if (spec.linux !== undefined) {
    const namespaces = asArray(linux.namespaces).map(asObject);
    for (const ns of namespaces) {
      const path = str(ns.path);
      if (path && !(ns.type === 'network' && PODMAN_NETNS.test(path))) {
        removed.push(`joining the namespace at ${path} (${str(ns.type)}): it gets one of its own`);
        delete ns.path;
      }
    }
    for (const type of PRIVATE_NAMESPACES.filter((t) => !namespaces.some((ns) => ns.type === t))) {
      if (type === 'network' && options.hostNetwork) continue;
      if (type !== 'network') removed.push(`sharing the host's ${type} namespace: it gets one of its own`);
      namespaces.push({ type });
    }
    if (PROPAGATION.has(str(linux.rootfsPropagation))) {
      removed.push(`${str(linux.rootfsPropagation)} propagation of the root file system: mounts would reach the host`);
      delete linux.rootfsPropagation;
    }
    linux.namespaces = namespaces;
    for (const device of asArray(linux.devices).map(asObject)) removed.push(`host device ${str(device.path)}`);
    delete linux.devices;
    const resources = asObject(linux.resources);
    const rules = asArray(resources.devices).map(asObject);
    for (const rule of rules.filter((r) => r.allow === true)) {
      removed.push(`cgroup access to devices ${str(rule.type, 'a')} ${rule.major ?? '*'}:${rule.minor ?? '*'} (${str(rule.access)})`);
    }
    if (linux.resources !== undefined) resources.devices = rules.filter((r) => r.allow !== true);
    for (const key of Object.keys(asObject(linux.sysctl))) removed.push(`sysctl ${key}`);
    delete linux.sysctl;
  }
  for (const mount of asArray(spec.mounts).map(asObject)) {
    const options = asArray(mount.options).map((o) => str(o));
    const shared = options.filter((o) => PROPAGATION.has(o));
    if (!shared.length) continue;
    removed.push(`${shared.join(', ')} propagation of the mount at ${str(mount.destination)}: mounts would reach the host`);
    mount.options = [...options.filter((o) => !PROPAGATION.has(o)), 'rprivate'];
  }
  const annotations = asObject(spec.annotations);
  for (const key of Object.keys(annotations)) {
    if (HOST_ACTION_ANNOTATIONS.includes(key)) removed.push(`annotation ${key}: it makes CRIU on this host run ${str(annotations[key])}`);
    else if (triggersHook(key, hookAnnotations)) removed.push(hookAnnotationRemoved(key));
    else continue;
    delete annotations[key];
  }
  return { spec, removed };
}

/** Podman's container config: not privileged, no exit command of its own, and its copy of the spec sanitized too. */
export function sanitizeConfig(input: Json, options: SanitizeOptions = {}): { config: Json; removed: string[] } {
  const config: Json = structuredClone(input);
  const removed: string[] = [];
  if (config.privileged === true) removed.push('privileged mode');
  if (config.mountAllDevices === true) removed.push('every host device (mountAllDevices)');
  config.privileged = false;
  config.mountAllDevices = false;
  // conmon runs it on the host, as root, when the container exits.
  const exit = asArray(config.exitCommand).map((a) => str(a));
  if (exit.length) removed.push(`exit command ${exit.join(' ')}`);
  delete config.exitCommand;
  if (config.spec !== undefined) {
    const inner = sanitizeSpec(asObject(config.spec), options);
    config.spec = inner.spec;
    removed.push(...inner.removed);
  }
  return { config, removed };
}

/**
 * Confinement a restore cannot give back, so it refuses instead: CRIU restores each task's seccomp filters as
 * they were, and podman mounts /proc and /sys as the spec says. A container podman made unprivileged has all of it.
 */
export function missingConfinement(spec: Json): string[] {
  const linux = asObject(spec.linux);
  const missing: string[] = [];
  const seccomp = asObject(linux.seccomp);
  if (linux.seccomp === undefined || linux.seccomp === null) missing.push('it ran without seccomp confinement');
  else if (str(seccomp.defaultAction) === 'SCMP_ACT_ALLOW' && asArray(seccomp.syscalls).length === 0) missing.push('it ran with a seccomp profile that allows every system call');
  if (str(asObject(spec.process).apparmorProfile) === 'unconfined') missing.push('it ran without AppArmor confinement (unconfined)');
  const selinux = str(asObject(spec.process).selinuxLabel);
  // podman's --privileged and label=disable give these SELinux types, which no policy confines.
  if (/:(spc_t|unconfined_t)(:|$)/.test(selinux)) missing.push(`it ran without SELinux confinement (${selinux})`);
  if (asArray(linux.maskedPaths).length === 0) missing.push("the kernel's sensitive /proc and /sys files were not masked");
  if (asArray(linux.readonlyPaths).length === 0) missing.push('/proc/sys and the like were writable');
  return missing;
}

/**
 * Mounts a restore may not make, whatever the user says: only bind mounts (judged by the preflight, path by
 * path) and the kernel's own file systems a podman container has; sysfs and cgroups only read-only. Both copies
 * of the spec count.
 */
export function unsafeMounts(config: Json, spec: Json): string[] {
  const out = new Set<string>();
  for (const mount of [...asArray(spec.mounts), ...asArray(asObject(config.spec).mounts)].map(asObject)) {
    const type = str(mount.type) || 'bind';
    const options = asArray(mount.options).map((o) => str(o));
    const at = str(mount.destination);
    if (type === 'bind' || options.includes('bind') || options.includes('rbind')) continue;
    if (!KERNEL_FILE_SYSTEMS.has(type)) out.add(foreignMount(`${str(mount.source) || 'something'} (${type}${hostPathsIn(options)})`, at));
    else if (READ_ONLY_FILE_SYSTEMS.has(type) && !options.includes('ro')) out.add(writableMount(type, at));
  }
  return [...out];
}

/** The refusal of a mount that is not a container's own ("/dev/sda1 (ext4)"), from the spec or CRIU's images alike. */
export function foreignMount(what: string, at: string): string {
  return `it mounts ${what} at ${at}: only bind mounts and a container's own file systems restore`;
}

/** The refusal of a view of the host's kernel mounted writable, from the spec or CRIU's images alike. */
export function writableMount(type: string, at: string): string {
  return `it mounts ${type} read-write at ${at}: a container gets it read-only`;
}

/** Whether the checkpoint ran in the host's network namespace (its spec, either copy, has none of its own). */
export function sharesHostNetwork(config: Json, spec: Json): boolean {
  return [spec, asObject(config.spec)].some((s) => s.linux !== undefined && !asArray(asObject(s.linux).namespaces).some((ns) => asObject(ns).type === 'network'));
}

/** Everything a restore of these metadata files removes, each said once. */
export function sanitizeFindings(config: Json, spec: Json, options: SanitizeOptions = {}): string[] {
  return [...new Set([...sanitizeConfig(config, options).removed, ...sanitizeSpec(spec, options).removed])];
}

/** The edit that sanitizes both metadata files on their way into the archive podman restores; `then` edits after. */
export function sanitizingEdit(options: SanitizeOptions, then?: MetadataEdit): MetadataEdit {
  return (name, value) => {
    const clean = name === 'config.dump' ? sanitizeConfig(value as Json, options).config : sanitizeSpec(value as Json, options).spec;
    return then ? then(name, clean) : clean;
  };
}

/** An overlay's lower, upper and work folders are host paths: said in the refusal. */
function hostPathsIn(options: string[]): string {
  const paths = options.filter((o) => /^(lowerdir|upperdir|workdir)=/.test(o));
  return paths.length ? `, ${paths.join(', ')}` : '';
}
