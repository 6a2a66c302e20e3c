/** One challenge of a `WWW-Authenticate` header (RFC 7235): its scheme, lower-cased, and its parameters. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Reads `Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull,push"` and headers
 * holding several challenges (`Basic realm="x", Bearer realm="y"`). Quoted values may hold commas and
 * backslash escapes; a value without quotes ends at the next comma. Malformed parts are skipped, not thrown:
 * the header comes from the network and a best reading is all a client can do.
 */
export function parseChallenges(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const skip = (re: RegExp) => {
    while (i < header.length && re.test(header[i]!)) i++;
  };
  const token = () => {
    const start = i;
    skip(/[!#$%&'*+.^_`|~0-9A-Za-z-]/);
    return header.slice(start, i);
  };
  while (i < header.length) {
    skip(/[\s,]/);
    const scheme = token();
    if (!scheme) {
      i++;
      continue;
    }
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      skip(/[\s,]/);
      const mark = i;
      const name = token();
      skip(/\s/);
      if (!name || header[i] !== '=') {
        i = mark; // the next challenge's scheme (or a token68 credential, which registries do not send)
        break;
      }
      i++;
      skip(/\s/);
      let value = '';
      if (header[i] === '"') {
        for (i++; i < header.length && header[i] !== '"'; i++) value += header[i] === '\\' ? (header[++i] ?? '') : header[i];
        i++;
      } else {
        const start = i;
        skip(/[^,\s]/);
        value = header.slice(start, i);
      }
      challenge.params[name.toLowerCase()] = value;
    }
    if (i === header.length) break;
  }
  return out;
}
