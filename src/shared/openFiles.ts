/** Open file descriptors and command lines of a checkpoint's processes as one line of text: the CLI and the extension alike. */
import type { Address, OpenFd } from '../engine/index.js';

export const isSocket = (f: OpenFd): boolean => f.kind === 'unix' || f.kind === 'inet' || f.kind === 'netlink';

export function describeFd(f: OpenFd): string {
  switch (f.kind) {
    case 'file':
      return f.path;
    case 'pipe':
      return `pipe:[${f.pipeId}]`;
    case 'fifo':
      return `fifo ${f.path ?? `pipe:[${f.pipeId}]`}`;
    case 'tty':
      return f.path ?? `tty (${f.type})`;
    case 'eventfd':
      return `eventfd (count ${f.counter})`;
    case 'epoll':
      return `epoll (watching ${f.targets.join(', ') || 'nothing'})`;
    case 'unix':
      return `UNIX ${f.type} (${f.state}) ${f.name ?? '(unnamed)'}`;
    case 'inet': {
      const at = (a: Address) => (f.family === 'ipv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
      return `${f.protocol.toUpperCase()} (${f.state}) ${at(f.local)} -> ${at(f.remote)}`;
    }
    case 'netlink':
      return `NETLINK protocol ${f.protocol} port ${f.portId}`;
    case 'other':
      return f.type;
  }
}

/** An argument as a shell would need it to read it back. */
export function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line as a shell would read it back. */
export const formatCmdline = (argv: string[]): string => argv.map(quoteArg).join(' ');
