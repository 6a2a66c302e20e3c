/**
 * What a secret looks like: private keys, cloud keys, forge tokens, JWTs and `PASSWORD=`-like variables,
 * found in text where every byte is one character (latin1), so a match's offsets are byte offsets in memory.
 * Pure: the scanners decide where the text comes from.
 */

export type SecretKind =
  | 'private-key'
  | 'gcp-service-account-key'
  | 'aws-access-key-id'
  | 'aws-secret-access-key'
  | 'azure-storage-key'
  | 'github-token'
  | 'gitlab-token'
  | 'npm-token'
  | 'slack-token'
  | 'jwt'
  | 'secret-variable';

/** One secret in a text: where it lies and what it is called; the caller keeps the bytes out of every output. */
export interface SecretMatch {
  kind: SecretKind;
  /** [start, end) of the secret itself in the text. */
  start: number;
  end: number;
  /** Not secret: the variable's name (secret-variable) or the key's type ("RSA PRIVATE KEY"). */
  name?: string;
  /** How many leading characters are a public prefix (`ghp_`, `AKIA`), shown in previews as they are. */
  prefix: number;
}

/** The longest match any detector makes: scanners that see text in pieces keep this much of the last one. */
export const MAX_SECRET_LENGTH = 8192;
/** Names longer than this are not variables anyone wrote. */
const MAX_NAME = 64;

interface Detector {
  kind: SecretKind;
  pattern: RegExp;
  /** The secret within the match, and its name; undefined rejects the match. */
  accept(m: RegExpExecArray, text: string): Omit<SecretMatch, 'kind'> | undefined;
}

const whole = (prefix: number) => (m: RegExpExecArray) => ({ start: m.index, end: m.index + m[0].length, prefix });

/** The secret as capture group `n` (patterns carry the `d` flag for its offsets). */
function group(m: RegExpExecArray, n: number, name?: string): Omit<SecretMatch, 'kind'> {
  const [start, end] = m.indices![n]!;
  return { start, end, name, prefix: 0 };
}

const PEM_HEADER = String.raw`-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----`;
/**
 * Base64 lines, from the first character to the last (the END line is not needed: a key cut short is still a
 * key); newlines may be real or escaped as in JSON (`\n`). Old encrypted keys carry two header lines.
 */
const PEM_BODY = String.raw`(?:\r?\n|(?:\\r)?\\n)?((?:Proc-Type:[ -~]{1,64}(?:\r?\n|\\n)DEK-Info:[ -~]{1,128}(?:\r?\n|\\n){1,2})?(?:[A-Za-z0-9+/=\r\n]|\\[rn]){63,7900}[A-Za-z0-9+/=])`;

/** Most specific first: a range one detector claims is not reported again by the next. */
const DETECTORS: Detector[] = [
  {
    kind: 'gcp-service-account-key',
    // Literal first (not a look-behind), so the regex engine can skip ahead to it.
    pattern: new RegExp(String.raw`"private_key"\s{0,8}:\s{0,8}"${PEM_HEADER}${PEM_BODY}`, 'dg'),
    accept: (m) => group(m, 2, m[1]),
  },
  {
    kind: 'private-key',
    pattern: new RegExp(PEM_HEADER + PEM_BODY, 'dg'),
    accept: (m) => group(m, 2, m[1]),
  },
  {
    kind: 'aws-access-key-id',
    pattern: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g,
    accept: whole(4),
  },
  {
    // Forty characters of base64 alone are everywhere: only after a key id, or after its name, are they its secret.
    kind: 'aws-secret-access-key',
    pattern: /(?:(?:AKIA|ASIA)[A-Z0-9]{16}|aws_?secret_?(?:access_?)?key)[^]{0,256}?(?<![A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dgi,
    // Hex digests and the like are 40 characters too; a real key mixes cases and digits.
    accept: (m) => (/[a-z]/.test(m[1]!) && /[A-Z]/.test(m[1]!) && /[0-9]/.test(m[1]!) ? group(m, 1) : undefined),
  },
  {
    kind: 'azure-storage-key',
    pattern: /AccountKey=([A-Za-z0-9+/]{86}==)/dg,
    accept: (m) => group(m, 1, 'AccountKey'),
  },
  {
    kind: 'github-token',
    pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{59,255})(?![A-Za-z0-9_])/g,
    accept: (m) => whole(m[0].startsWith('github_pat_') ? 11 : 4)(m),
  },
  {
    kind: 'gitlab-token',
    pattern: /(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])/g,
    accept: whole(6),
  },
  {
    kind: 'npm-token',
    pattern: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g,
    accept: whole(4),
  },
  {
    kind: 'slack-token',
    // The look-behind takes the same characters as the token, so a run of them is tried once, not at each "xox".
    pattern: /(?<![A-Za-z0-9-])xox[abposre]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])/g,
    accept: whole(5),
  },
  {
    // A JSON object's base64url starts "ey"; the header must be JSON naming an algorithm.
    kind: 'jwt',
    pattern: /(?<![A-Za-z0-9_-])(ey[A-Za-z0-9_-]{8,1024})\.ey[A-Za-z0-9_-]{8,4096}\.[A-Za-z0-9_-]{16,1024}(?![A-Za-z0-9_.-])/g,
    accept: (m) => (jwtHeader(m[1]!) ? whole(0)(m) : undefined),
  },
  {
    // Anchored on the word, so the scan does not try a name at every byte; the name is widened to its start after.
    kind: 'secret-variable',
    pattern: /(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API[_-]?KEY|ACCESS[_-]?KEY|PRIVATE[_-]?KEY|AUTH[_-]?KEY|CREDENTIALS?)[A-Za-z0-9_-]{0,32}=([^\s\0'"`]{6,512})/dgi,
    accept: (m, text) => {
      let from = m.index;
      while (from > 0 && m.index - from < MAX_NAME && /[A-Za-z0-9_-]/.test(text[from - 1]!)) from--;
      const name = text.slice(from, m.index + m[0].indexOf('=')).replace(/^-+/, '');
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) || /(?:_FILE|_PATH|_DIR|_TYPE|_NAME|_URL|_ENDPOINT)$/i.test(name)) return undefined;
      if (isPlaceholder(m[1]!)) return undefined;
      return group(m, 1, name);
    },
  },
];

/** A value that stands for a secret rather than being one: `${VAR}`, `$VAR`, `%s`, `***`, `<token>`, `changeme`. */
function isPlaceholder(value: string): boolean {
  return /^(?:\$\{?\w+\}?|%[sd]|\*+|x+|<[^>]*>|\{\{.*\}\}|changeme|none|null|true|false|undefined)$/i.test(value);
}

/** The JWT header decodes to a JSON object with "alg". */
function jwtHeader(part: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

/**
 * Every secret in `text`, in text order. Where two detectors match the same bytes, the more specific one
 * (a GCP key over a bare private key, an AWS key over the variable that holds it) is kept.
 */
export function detectSecrets(text: string): SecretMatch[] {
  let claimed: SecretMatch[] = [];
  for (const d of DETECTORS) {
    const mine: SecretMatch[] = [];
    d.pattern.lastIndex = 0;
    for (let m = d.pattern.exec(text); m; m = d.pattern.exec(text)) {
      const match = d.accept(m, text);
      if (match) mine.push({ kind: d.kind, ...match });
    }
    if (mine.length) claimed = mergeUnclaimed(claimed, mine);
  }
  return claimed;
}

/**
 * `claimed` with the matches of `next` that overlap none of it, in text order. Both are in text order and
 * free of overlaps (one regex's matches never overlap), so one walk does it: memory full of matches stays linear.
 */
function mergeUnclaimed(claimed: SecretMatch[], next: SecretMatch[]): SecretMatch[] {
  const out: SecretMatch[] = [];
  let i = 0;
  for (const match of next) {
    while (i < claimed.length && claimed[i]!.end <= match.start) out.push(claimed[i++]!);
    // The claimed ranges left end after this one starts: the first overlaps it unless it starts after its end.
    if (i < claimed.length && claimed[i]!.start < match.end) continue;
    out.push(match);
  }
  while (i < claimed.length) out.push(claimed[i++]!);
  return out;
}
