import { EngineError } from '../errors.js';

/** An image in a registry: `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`, the containers-image transport name. */
export interface RegistryReference {
  /** host[:port], as credentials and URLs use it; Docker Hub is `docker.io`. */
  registry: string;
  /** Lower-case path components, e.g. `team/web`; Docker Hub's official images are `library/NAME`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const DOCKER_HUB = 'docker.io';
// distribution's grammar (reference/regexp.go), written out: components of lower-case letters and digits
// joined by '.', '_', '__' or dashes; tags of up to 128 word characters, dots and dashes.
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::\d{1,5})?$/;

/**
 * Reads `HOST/REPO:TAG`, `HOST/REPO@sha256:…` or a short name (`web` is `docker.io/library/web`), as
 * podman does: the first component is a registry when it has a dot or a port, or is `localhost`.
 */
export function parseRegistryReference(text: string): RegistryReference {
  const bad = (why: string) =>
    new EngineError('INVALID_ARGUMENT', `${JSON.stringify(text)} is not a registry reference: ${why}`, {
      hint: 'write it as HOST[:PORT]/REPOSITORY[:TAG], e.g. localhost:5000/team/web:bug or quay.io/me/web@sha256:…',
    });
  let rest = text.replace(/^docker:\/\//, '');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`${JSON.stringify(digest)} is not a sha256 digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`${JSON.stringify(tag)} is not a valid tag`);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['));
  const registry = hasHost ? first : DOCKER_HUB;
  if (hasHost) parts.shift();
  if (!HOST.test(registry)) throw bad(`${JSON.stringify(registry)} is not a host name`);
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) {
    throw bad('the repository must be lower-case path components of letters, digits, ".", "_" and "-"');
  }
  const repository = parts.join('/');
  if (registry.length + repository.length > 254) throw bad('the name is longer than 255 characters');
  return { registry, repository, ...(tag !== undefined || digest === undefined ? { tag: tag ?? 'latest' } : {}), ...(digest ? { digest } : {}) };
}

/** `HOST/REPO:TAG` (or `@DIGEST`), the form podman pull and a teammate's paste take. */
export function formatRegistryReference(ref: RegistryReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** What the registry's manifest endpoint is asked for: the digest when there is one, else the tag. */
export function manifestReference(ref: RegistryReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** Loopback registries speak plain HTTP unless told otherwise, as docker and go-containerregistry allow. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
