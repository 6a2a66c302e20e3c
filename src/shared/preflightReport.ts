/** The preflight report as plain text: what `ckpt restore --dry-run` prints and what the extension logs. */
import type { PreflightReport } from '../engine/index.js';

const MARK = { error: 'error  ', warning: 'warning', info: 'ok     ' } as const;

export function formatPreflightReport(report: PreflightReport): string {
  const lines = [`Preflight of ${report.source} (restoring as ${report.restoreName}):`];
  if (report.findings.length === 0) lines.push('  nothing to report: this host matches the checkpoint');
  for (const f of report.findings) {
    lines.push(`  ${MARK[f.severity]}  ${f.message}`);
    if (f.hint) lines.push(`           ${f.hint}`);
  }
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.filter((f) => f.severity === 'warning').length;
  lines.push(report.canRestore ? `Can restore (${warnings} warning${warnings === 1 ? '' : 's'}).` : `Cannot restore: ${errors} error${errors === 1 ? '' : 's'}.`);
  return lines.join('\n');
}
