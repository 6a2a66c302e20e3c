/**
 * The secrets a scan found, as it reports them: each distinct secret once per kind and place (the same token
 * at a thousand addresses, or in every process that inherited it, is one finding with a count), previewed
 * so that no output holds the secret itself. The secrets are kept only as the hash that tells them apart.
 */
import { createHash } from 'node:crypto';
import type { SecretKind } from './detectors.js';

export type SecretWhere = 'memory' | 'environment' | 'cmdline' | 'rootfs-diff';

export interface SecretFinding {
  kind: SecretKind;
  where: SecretWhere;
  /** The first process it was seen in (memory, environment, cmdline). */
  pid?: number;
  /** That process's short name (comm), when the checkpoint has it. */
  comm?: string;
  /** Every process it was seen in, ascending (up to MAX_PIDS). */
  pids?: number[];
  /** Memory: the first address it was seen at, hex. */
  address?: string;
  /** Memory: the first addresses, in the order seen (up to MAX_LISTED). */
  addresses?: string[];
  /** rootfs-diff: the file, inside the container. */
  path?: string;
  /** Not secret: the variable's name, or the key's type ("RSA PRIVATE KEY"). */
  name?: string;
  /** The public prefix or a few first characters, then "…", then the length: never the secret. */
  preview: string;
  /** Its length in characters. */
  length: number;
  /** How many times it was seen (an environment's or command line's secret: with its copies in memory). */
  count: number;
}

/** One time a secret was seen. `secret` stays in the collector, hashed. */
export interface Sighting {
  kind: SecretKind;
  where: SecretWhere;
  secret: string;
  /** Leading characters that are a public prefix (`ghp_`), shown in the preview. */
  prefix: number;
  name?: string;
  pid?: number;
  address?: bigint;
  path?: string;
}

/** Distinct findings kept before the scan stops adding new ones (and says it did). */
export const DEFAULT_FINDING_LIMIT = 1000;
const MAX_LISTED = 8;
const MAX_PIDS = 64;
/** A name from memory is hostile text: it is cut, not trusted to be short. */
const MAX_NAME = 64;

/**
 * What is shown of a secret: its public prefix when it has one (`ghp_`, `AKIA`), else at most four characters
 * and never more than a quarter of it, then its length.
 */
export function previewOf(secret: string, prefix: number): string {
  const shown = prefix > 0 ? secret.slice(0, prefix) : secret.slice(0, Math.min(4, Math.floor(secret.length / 4)));
  return `${shown}… (${secret.length} chars)`;
}

export class FindingCollector {
  private readonly byKey = new Map<string, SecretFinding>();
  /** Each finding's secret, as a hash of its kind, file and bytes: the same secret in another place has the same. */
  private readonly secretOf = new Map<SecretFinding, string>();
  /** Sightings of new secrets dropped once the limit was reached. */
  dropped = 0;

  constructor(readonly limit = DEFAULT_FINDING_LIMIT) {}

  add(s: Sighting): void {
    const secret = createHash('sha256').update(JSON.stringify([s.kind, s.path ?? '', s.secret])).digest('base64');
    const key = `${s.where} ${secret}`;
    let finding = this.byKey.get(key);
    if (!finding) {
      if (this.byKey.size >= this.limit) {
        this.dropped++;
        return;
      }
      finding = {
        kind: s.kind,
        where: s.where,
        ...(s.name !== undefined && { name: s.name.length > MAX_NAME ? `${s.name.slice(0, MAX_NAME)}…` : s.name }),
        ...(s.path !== undefined && { path: s.path }),
        preview: previewOf(s.secret, s.prefix),
        length: s.secret.length,
        count: 0,
      };
      this.byKey.set(key, finding);
      this.secretOf.set(finding, secret);
    }
    finding.count++;
    if (s.pid !== undefined) {
      finding.pid ??= s.pid;
      const pids = (finding.pids ??= []);
      if (!pids.includes(s.pid) && pids.length < MAX_PIDS) pids.push(s.pid);
    }
    if (s.address !== undefined) {
      const hex = `0x${s.address.toString(16)}`;
      finding.address ??= hex;
      const addresses = (finding.addresses ??= []);
      if (addresses.length < MAX_LISTED) addresses.push(hex);
    }
  }

  get capped(): boolean {
    return this.dropped > 0;
  }

  /**
   * The findings by place (environment, command lines, memory, files), then kind, then process. A secret in
   * memory that is an environment's or command line's of the same processes is that one (they live in memory
   * too): it is counted there, not listed again.
   */
  findings(): SecretFinding[] {
    const order: SecretWhere[] = ['environment', 'cmdline', 'memory', 'rootfs-diff'];
    const held = new Map<string, SecretFinding>();
    for (const f of this.byKey.values()) if (f.where === 'environment' || f.where === 'cmdline') held.set(this.secretOf.get(f)!, f);
    const copies = new Map<SecretFinding, number>();
    const listed = [...this.byKey.values()].filter((f) => {
      const owner = f.where === 'memory' ? held.get(this.secretOf.get(f)!) : undefined;
      if (!owner || !(f.pids ?? []).every((pid) => owner.pids?.includes(pid))) return true;
      copies.set(owner, (copies.get(owner) ?? 0) + f.count);
      return false;
    });
    return listed
      .map((f) => (copies.has(f) ? { ...f, count: f.count + copies.get(f)! } : f))
      .map((f) => (f.pids ? { ...f, pids: [...f.pids].sort((a, b) => a - b) } : f))
      .sort((a, b) => order.indexOf(a.where) - order.indexOf(b.where) || a.kind.localeCompare(b.kind) || (a.pid ?? 0) - (b.pid ?? 0) || (a.path ?? '').localeCompare(b.path ?? ''));
  }
}
