/**
 * What the dialog before a push says, from the secrets scan of the image: the secrets it found (kinds, counts,
 * where), or that it found none. Pure (no vscode), so tests check the wording; the push command shows it.
 */
import type { ScanReport, SecretFinding, SecretKind } from '../../engine/index.js';
import type { Notice } from './notices.js';

const KIND: Record<SecretKind, [one: string, many: string]> = {
  'private-key': ['private key', 'private keys'],
  'gcp-service-account-key': ['Google Cloud service-account key', 'Google Cloud service-account keys'],
  'aws-access-key-id': ['AWS access key ID', 'AWS access key IDs'],
  'aws-secret-access-key': ['AWS secret access key', 'AWS secret access keys'],
  'azure-storage-key': ['Azure storage key', 'Azure storage keys'],
  'github-token': ['GitHub token', 'GitHub tokens'],
  'gitlab-token': ['GitLab token', 'GitLab tokens'],
  'npm-token': ['npm token', 'npm tokens'],
  'slack-token': ['Slack token', 'Slack tokens'],
  jwt: ['JSON Web Token', 'JSON Web Tokens'],
  'secret-variable': ['password-like variable', 'password-like variables'],
};

/** Findings listed in the dialog; the log has them all. */
const MAX_SHOWN = 8;

const EXPOSED =
  "A checkpoint holds the memory of the container's processes: any secrets, tokens and keys they held are in it. " +
  'Anyone who can pull from the repository can read them.';

/**
 * The dialog before pushing `image` to `host`: a warning listing the secrets `report` found; without any, the
 * general warning with a note that the scan found none, but only when `host` was not warned about before
 * (undefined then: the push goes ahead).
 */
export function pushNotice(image: string, host: string, report: ScanReport, warnedBefore: boolean): Notice | undefined {
  const { findings } = report;
  if (!findings.length) {
    if (warnedBefore) return undefined;
    return { kind: 'confirm', message: `Push a checkpoint to ${host}?`, detail: `${EXPOSED}\n\nA scan of its memory, environments, command lines and changed files found no secrets.` };
  }
  const shown = findings.slice(0, MAX_SHOWN).map((f) => `• ${describeFinding(f)}`);
  if (findings.length > MAX_SHOWN) shown.push(`… and ${findings.length - MAX_SHOWN} more (all in the Checkpoint Studio log)`);
  if (report.capped) shown.push(`(the scan stopped listing after ${report.limit} different secrets)`);
  return {
    kind: 'confirm',
    message: `${image} holds ${secretsSummary(findings)}. Push it to ${host}?`,
    detail: [shown.join('\n'), EXPOSED].join('\n\n'),
  };
}

/** "2 private keys, 1 GitHub token": the findings counted by kind, most first. */
export function secretsSummary(findings: SecretFinding[]): string {
  const byKind = new Map<SecretKind, number>();
  for (const f of findings) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  return [...byKind].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${n} ${KIND[kind][n === 1 ? 0 : 1]}`).join(', ');
}

/** One finding in words, with its preview: never the secret. */
export function describeFinding(f: SecretFinding): string {
  const what = f.kind === 'secret-variable' && f.name ? `${f.name}=${f.preview}` : `${KIND[f.kind][0]}${f.name && f.kind !== 'secret-variable' ? ` (${f.name})` : ''} ${f.preview}`;
  const processes = f.pids && f.pids.length > 1 ? `processes ${f.pids.join(', ')}` : `process ${f.pid}${f.comm ? ` (${f.comm})` : ''}`;
  const seen = f.count > 1 ? `, seen ${f.count} times` : '';
  switch (f.where) {
    case 'memory':
      return `${what} in the memory of ${processes} at ${f.address}${seen}`;
    case 'environment':
      return `${what} in the environment of ${processes}`;
    case 'cmdline':
      return `${what} in the command line of ${processes}`;
    case 'rootfs-diff':
      return `${what} in ${f.path} (a file the container changed)${seen}`;
  }
}
