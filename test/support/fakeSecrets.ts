/**
 * Fake secrets shaped like real ones, made at run time from random characters: no real-looking key sits in
 * the repository, and each run plants values no earlier run left anywhere.
 */
import { randomBytes } from 'node:crypto';

export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const B64 = `${ALNUM}+/`;

/** `n` random characters of `alphabet`; from B64 always with lower case, upper case and digits, as real keys are. */
export function fake(alphabet: string, n: number): string {
  for (;;) {
    const s = [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
    if (alphabet !== B64 || (/[a-z]/.test(s) && /[A-Z]/.test(s) && /\d/.test(s))) return s;
  }
}

export const fakes = {
  awsId: () => `AKIA${fake(UPPER, 16)}`,
  awsSecret: () => fake(B64, 40),
  github: () => `ghp_${fake(ALNUM, 36)}`,
  gitlab: () => `glpat-${fake(ALNUM, 20)}`,
  npm: () => `npm_${fake(ALNUM, 36)}`,
  slack: () => `xoxb-${fake('0123456789', 12)}-${fake(ALNUM, 24)}`,
  pemBody: (lines = 20) => Array.from({ length: lines }, () => fake(B64, 64)).join('\n'),
  jwt: (header: object = { alg: 'HS256', typ: 'JWT' }) =>
    [JSON.stringify(header), JSON.stringify({ sub: fake(ALNUM, 8) })].map((p) => Buffer.from(p).toString('base64url')).join('.') + `.${fake(ALNUM, 43)}`,
};


/**
 * Each line reversed: planted in a container's environment and reversed back there with `rev`, a secret ends up
 * in a shell's memory while no environment or command line holds it (the reversed form matches no detector).
 */
export function reversedLines(text: string): string {
  return text.split('\n').map((line) => [...line].reverse().join('')).join('\n');
}

/**
 * `podman run` arguments (after `run`) for a container that holds `token` only in its shell's memory and
 * `API_PASSWORD=password` in its environment; it writes "ready" to /tmp/ready once they are in place.
 */
export function secretHolderRun(name: string, label: string, image: string, secrets: { token: string; password: string }): string[] {
  return [
    '-d', '--name', name, '--label', label, '-e', `R_GH=${reversedLines(secrets.token)}`, '-e', `API_PASSWORD=${secrets.password}`,
    // The sleep starts first, so no process forked after the token exists: it is in the shell's memory only.
    image, 'sh', '-c', 'sleep 100000 & GH=$(echo "$R_GH" | rev); echo ready > /tmp/ready; wait',
  ];
}
