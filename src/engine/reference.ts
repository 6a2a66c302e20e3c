import { EngineError } from './errors.js';
import { formatRegistryReference, parseRegistryReference, type RegistryReference } from './registry/registryReference.js';

/**
 * Where an image is, in the transport style of containers/image and skopeo:
 * `podman:NAME` (podman's storage; a bare NAME means the same), `store:TAG` (the embedded store),
 * `oci:PATH:TAG` (any OCI image layout), `archive:FILE` (a checkpoint archive), `docker://HOST/REPO:TAG`
 * (a registry), and, to look inside only, `oci-archive:FILE` and `docker-archive:FILE` (an image layout or a
 * `docker save`/`podman save` tar holding one image).
 */
export type ImageReference =
  | { kind: 'podman'; name: string }
  | { kind: 'store'; tag: string }
  | { kind: 'oci'; path: string; tag: string }
  | { kind: 'archive'; path: string }
  | { kind: 'oci-archive' | 'docker-archive'; path: string }
  | ({ kind: 'registry' } & RegistryReference);

export function parseReference(text: string): ImageReference {
  const colon = text.indexOf(':');
  const transport = colon > 0 ? text.slice(0, colon) : '';
  const rest = text.slice(colon + 1);
  const need = (value: string, what: string) => {
    if (!value) throw new EngineError('INVALID_ARGUMENT', `${text}: ${what} is missing`, { hint: 'e.g. store:web-bug, oci:/path/to/layout:web-bug, podman:localhost/web:1, archive:/tmp/web.tar.zst' });
    return value;
  };
  switch (transport) {
    case 'podman':
      return { kind: 'podman', name: need(rest, 'the image name') };
    case 'store':
      return { kind: 'store', tag: need(rest, 'the tag') };
    case 'archive':
    case 'oci-archive':
    case 'docker-archive':
      return { kind: transport, path: need(rest, 'the file') };
    case 'docker':
      if (!rest.startsWith('//')) break;
      return { kind: 'registry', ...parseRegistryReference(need(rest.slice(2), 'the image')) };
    case 'oci': {
      // The tag follows the last colon; a path may hold colons of its own.
      const last = rest.lastIndexOf(':');
      return { kind: 'oci', path: need(last > 0 ? rest.slice(0, last) : rest, 'the layout path'), tag: need(last > 0 ? rest.slice(last + 1) : '', 'the tag') };
    }
  }
  // Anything else is a podman image name, which may itself contain a colon (localhost/web:1).
  return { kind: 'podman', name: text };
}

export function formatReference(ref: ImageReference): string {
  switch (ref.kind) {
    case 'podman':
      return `podman:${ref.name}`;
    case 'store':
      return `store:${ref.tag}`;
    case 'oci':
      return `oci:${ref.path}:${ref.tag}`;
    case 'archive':
    case 'oci-archive':
    case 'docker-archive':
      return `${ref.kind}:${ref.path}`;
    case 'registry':
      return `docker://${formatRegistryReference(ref)}`;
  }
}

/**
 * The name an image of the store or a registry gets when it is copied into podman (which restores only from its
 * own storage): podman's own name for a pull, `localhost/TAG` for the store.
 */
export function podmanNameFor(ref: Extract<ImageReference, { kind: 'store' | 'registry' }>): string {
  if (ref.kind === 'store') return ref.tag.includes('/') ? ref.tag : `localhost/${ref.tag}`;
  // Podman names images by tag; one pulled by digest gets the digest's start as its tag.
  return `${ref.registry}/${ref.repository}:${ref.tag ?? ref.digest!.replace(':', '-').slice(0, 19)}`;
}
