import { terminalSafe } from './terminalSafe.js';
/** Plain-text rendering shared by the CLI and the extension: tables, sizes (SI, as podman shows them), ages. */

export function table(headers: string[], input: string[][]): string {
  // Cells as they will print (controls escaped), so a hostile one is measured at its printed width.
  const rows = input.map((r) => r.map(terminalSafe));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n');
}

export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatAge(date: Date | undefined, now = Date.now()): string {
  if (!date) return '-';
  const s = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function formatMicros(micros: number): string {
  return micros >= 1_000_000 ? `${(micros / 1_000_000).toFixed(2)} s` : `${Math.round(micros / 1000)} ms`;
}

/** JSON for scripts: dates as ISO strings, stable two-space indent. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Only the first line of a multi-line value fits a table cell. */
export function firstLine(value: string): string {
  return value.split('\n')[0] ?? '';
}

/** One step of a host check as a line: "  ok      0.84 s  checkpoint into an image: detail". */
export function formatCheckStep(step: { ok: boolean; ms: number; title: string; detail?: string }): string {
  return `  ${step.ok ? 'ok  ' : 'FAIL'}  ${`${(step.ms / 1000).toFixed(2)} s`.padStart(8)}  ${step.title}${step.detail ? `: ${step.detail}` : ''}`;
}
