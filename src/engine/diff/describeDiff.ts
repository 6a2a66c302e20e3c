/**
 * A checkpoint diff in words, grouped by section, for the CLI's text and the compare page alike: each line is
 * added (+), gone (-) or changed (~), with details under it. Every value from a checkpoint is shown on one line
 * (a name with a newline or quotes is written as a JSON string), so a hostile name cannot pose as another line;
 * control characters are left for the printer (the CLI's terminal-safe output, the page's escaping).
 */
import type { Address, OpenFd } from '../criu/checkpointModel.js';
import type { CheckpointDiff, DiffValue, FieldChange, MapDiff, ProcessBrief } from './checkpointDiff.js';

export type DiffSign = '+' | '-' | '~';

export interface DiffLine {
  sign: DiffSign;
  text: string;
  details?: DiffLine[];
}

export interface DiffSection {
  title: string;
  lines: DiffLine[];
}

export interface DescribeDiffOptions {
  /** Bytes for people ("1.2 MB"): the CLI and the extension share one formatter. */
  size(bytes: number): string;
  /** What an fd is open on, as the inspect views say it; made one line here. */
  fd(f: OpenFd): string;
}

/** The sections that have differences, in a fixed order; none when the checkpoints are equal. */
export function describeCheckpointDiff(diff: CheckpointDiff, options: DescribeDiffOptions): DiffSection[] {
  const { size } = options;
  const fd = (f: OpenFd) => oneLine(options.fd(f));
  const fdText = (f: OpenFd) => `[${f.fd}] ${fd(f)}`;
  const value = (field: string, v: DiffValue | undefined) => (v === undefined ? '(none)' : typeof v === 'number' && /size|bytes/.test(field) ? size(v) : show(v));
  const fields = (changes: FieldChange[]): DiffLine[] => changes.map((c) => ({ sign: '~', text: `${c.field}: ${value(c.field, c.a)} → ${value(c.field, c.b)}` }));
  const { processes: p } = diff;
  const perProcess = (each: (c: CheckpointDiff['processes']['changed'][number]) => DiffLine[]): DiffLine[] =>
    p.changed.flatMap((c) => {
      const details = each(c);
      return details.length ? [{ sign: '~' as const, text: `[${c.pid}] ${show(c.comm)}`, details }] : [];
    });
  const sections: DiffSection[] = [
    { title: 'Summary', lines: fields(diff.summary) },
    {
      title: 'Processes',
      lines: [
        ...p.added.map((x) => ({ sign: '+' as const, text: processText(x) })),
        ...p.gone.map((x) => ({ sign: '-' as const, text: processText(x) })),
        ...perProcess((c) => [
          ...(c.commandChanged ? [{ sign: '~' as const, text: 'the same PID runs another command: most likely another process' }] : []),
          ...fields(c.fields),
        ]),
      ],
    },
    {
      title: 'Open files and sockets',
      lines: perProcess(({ fds }) => [
        ...fds.added.map((f) => ({ sign: '+' as const, text: fdText(f) })),
        ...fds.gone.map((f) => ({ sign: '-' as const, text: fdText(f) })),
        ...fds.changed.map((c) => ({
          sign: '~' as const,
          text: c.fields.includes('kind') ? `[${c.fd}] ${fd(c.a)} → ${fd(c.b)}` : fdText(c.b),
          details: c.fields.filter((f) => f !== 'kind').map((f) => ({ sign: '~' as const, text: `${f}: ${fdValue(c.a, f)} → ${fdValue(c.b, f)}` })),
        })),
      ]),
    },
    { title: 'Environment', lines: perProcess((c) => mapLines(c.environment)) },
    { title: 'Memory', lines: perProcess((c) => c.memory.map((m) => ({ sign: '~' as const, text: `${m.kind === 'dumped' ? 'pages in the checkpoint' : m.kind}: ${size(m.a)} → ${size(m.b)}` }))) },
    {
      title: 'Mounts',
      lines: [
        ...diff.mounts.added.map((m) => ({ sign: '+' as const, text: `${show(m.mountpoint)} (${show(m.type)} from ${show(m.source)})` })),
        ...diff.mounts.gone.map((m) => ({ sign: '-' as const, text: `${show(m.mountpoint)} (${show(m.type)} from ${show(m.source)})` })),
        ...diff.mounts.changed.map((m) => ({ sign: '~' as const, text: show(m.mountpoint), details: fields(m.fields) })),
      ],
    },
    {
      title: 'Changed files (rootfs-diff)',
      lines: diff.rootfsDiff
        ? [
            ...diff.rootfsDiff.added.map((f) => ({ sign: '+' as const, text: `${show(f.path)} (${f.type === 'file' ? size(f.size) : f.type})` })),
            ...diff.rootfsDiff.gone.map((f) => ({ sign: '-' as const, text: `${show(f.path)} (${f.type === 'file' ? size(f.size) : f.type})` })),
            ...diff.rootfsDiff.changed.map((c) => ({
              sign: '~' as const,
              text: `${show(c.path)}: ${c.a.type === c.b.type ? `${size(c.a.size)} → ${size(c.b.size)}` : `${c.a.type} → ${c.b.type}`}`,
            })),
          ]
        : [],
    },
    { title: 'Image annotations', lines: diff.annotations ? mapLines(diff.annotations) : [] },
    { title: 'Container annotations (spec)', lines: mapLines(diff.specAnnotations) },
    { title: 'Container labels', lines: mapLines(diff.labels) },
  ];
  return sections.filter((s) => s.lines.length > 0);
}

function mapLines(d: MapDiff): DiffLine[] {
  return [
    ...d.added.map((x) => ({ sign: '+' as const, text: `${show(x.name)}=${show(x.value)}` })),
    ...d.gone.map((x) => ({ sign: '-' as const, text: `${show(x.name)}=${show(x.value)}` })),
    ...d.changed.map((x) => ({ sign: '~' as const, text: `${show(x.name)}: ${show(x.a)} → ${show(x.b)}` })),
  ];
}

function processText(p: ProcessBrief): string {
  return `[${p.pid}] ${show(p.comm)}${p.cmdline ? `: ${show(p.cmdline)}` : ''} (parent ${p.ppid})`;
}

function address(a: Address): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function fdValue(f: OpenFd, field: string): string {
  const v = (f as unknown as Record<string, unknown>)[field];
  if (v === undefined) return '(none)';
  if (field === 'local' || field === 'remote') return address(v as Address);
  if (Array.isArray(v)) return v.join(', ');
  return typeof v === 'string' ? show(v) : String(v);
}

/** Text with its line breaks written as \\n and \\r, so it stays one line. */
function oneLine(text: string): string {
  return text.replace(/[\n\r]/g, (c) => (c === '\n' ? '\\n' : '\\r'));
}

/**
 * A value on one line: plain when it is printable ASCII without spaces or quotes, else a JSON string (so a
 * newline shows as \n); a command line is its arguments so written, joined by spaces.
 */
export function show(v: DiffValue): string {
  if (Array.isArray(v)) return v.length ? v.map((arg) => show(arg)).join(' ') : '(none)';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return String(v);
  return /^[\x21\x23-\x7e]+$/.test(v) ? v : JSON.stringify(v);
}
