/** Reachability: what a set of index entries points at, through manifests and nested indexes. */
import type { Descriptor } from '../oci/types.js';

export interface Reached {
  descriptor: Descriptor;
  /** The index.json entry it was reached from (names the tag in reports). */
  root: Descriptor;
}

/** Reads the descriptors a manifest or index names; [] for anything else. */
export type ChildReader = (descriptor: Descriptor) => Promise<Descriptor[]>;

/**
 * Every descriptor reachable from `roots`, each once. Keyed by digest *and* media type: a hostile index could
 * name a manifest first as an opaque blob, and keying by digest alone would then never read its layers.
 */
export async function walk(roots: readonly Descriptor[], children: ChildReader): Promise<Reached[]> {
  const seen = new Set<string>();
  const reached: Reached[] = [];
  const stack: Reached[] = roots.map((root) => ({ descriptor: root, root })).reverse();
  while (stack.length > 0) {
    const next = stack.pop()!;
    const key = `${next.descriptor.digest} ${next.descriptor.mediaType}`;
    if (seen.has(key)) continue;
    seen.add(key);
    reached.push(next);
    const kids = await children(next.descriptor);
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ descriptor: kids[i]!, root: next.root });
  }
  return reached;
}
