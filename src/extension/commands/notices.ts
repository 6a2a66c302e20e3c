/**
 * What the dialogs before a restore and before a checkpoint say, and whether they let the user go on. Pure (no
 * vscode), so unit tests check the decision and the wording; the commands only show them.
 */
import type { ContainerProcess, PreflightFinding, PreflightReport } from '../../engine/index.js';

export interface Notice {
  /** `refuse`: an error dialog with no way on; `confirm`: a warning dialog whose button goes on anyway. */
  kind: 'refuse' | 'confirm';
  message: string;
  detail: string;
}

const LABEL = { error: 'Error', warning: 'Warning', info: 'Note' } as const;
const ORDER = { error: 0, warning: 1, info: 2 } as const;

/**
 * The dialog before restoring `subject` (e.g. "localhost/web:bug"): none when the preflight found nothing,
 * a refusal when it found an error (a restore that would fail, or an image reaching into the host), else a
 * question listing the warnings and notes (such as host paths the container will mount).
 */
export function preflightNotice(report: PreflightReport, subject: string): Notice | undefined {
  if (report.findings.length === 0) return undefined;
  const sorted = [...report.findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
  const detail = sorted.map(findingText).join('\n\n');
  if (!report.canRestore) {
    const errors = report.findings.filter((f) => f.severity === 'error').length;
    return { kind: 'refuse', message: `Cannot restore ${subject}: the preflight found ${count(errors, 'problem')}`, detail };
  }
  const warnings = report.findings.filter((f) => f.severity === 'warning').length;
  const message = warnings ? `Restore ${subject} despite ${count(warnings, 'warning')}?` : `Restore ${subject}? Check what it will use on this host`;
  return { kind: 'confirm', message, detail };
}

function findingText(f: PreflightFinding): string {
  return f.hint ? `${LABEL[f.severity]}: ${f.message}\n→ ${f.hint}` : `${LABEL[f.severity]}: ${f.message}`;
}

/** Shown at most; the output channel has them all. */
const MAX_SHOWN = 5;
const MAX_COMMAND = 100;

/**
 * The warning before checkpointing `container` while it runs processes started with exec (`lost`, from
 * Podman.processesOutsideCheckpoint): CRIU saves only the main process's tree, so these would be gone after
 * a restore. None when there are none.
 */
export function lostProcessesNotice(container: string, lost: ContainerProcess[]): Notice | undefined {
  if (lost.length === 0) return undefined;
  const shown = lost.slice(0, MAX_SHOWN).map((p) => `${p.pid}  ${p.command.length > MAX_COMMAND ? `${p.command.slice(0, MAX_COMMAND)}…` : p.command}`);
  if (lost.length > MAX_SHOWN) shown.push(`… and ${lost.length - MAX_SHOWN} more`);
  return {
    kind: 'confirm',
    message: `${count(lost.length, 'process')} in ${container} will not be in the checkpoint`,
    detail: [
      "They were started with exec (a terminal, a debugger), outside the container's main process, and CRIU saves only that process's tree:",
      shown.join('\n'),
      "A restore brings back everything else. Run what must survive under the container's main process instead.",
    ].join('\n\n'),
  };
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : noun.endsWith('s') ? 'es' : 's'}`;
}
