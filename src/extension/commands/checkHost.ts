import * as vscode from 'vscode';
import { describeError, isEngineError, type HostCheckReport } from '../../engine/index.js';
import { formatCheckStep } from '../../shared/format.js';
import type { Services } from '../services.js';
import { withProgress } from './runCommand.js';

/**
 * Checkpoint: Check This Host — proves podman and CRIU work here with a real checkpoint and restore, each step
 * timed in the log; a failure also heads the Containers view until a check passes. Returns the report.
 */
export async function checkHost(services: Services): Promise<HostCheckReport> {
  services.log.info('Checking this host with a real checkpoint and restore:');
  const report = await withProgress('Checking this host with a real checkpoint and restore', (stage, signal) => {
    stage('podman and CRIU');
    return services.podman().checkHost({
      signal,
      onStep: (step) => {
        (step.ok ? services.log.info : services.log.error).call(services.log, formatCheckStep(step));
        if (!step.ok && step.error) services.log.error(describeError(step.error));
        if (step.ok) stage(`${step.title} ✓`);
      },
    });
  });
  const failed = report.steps.find((s) => !s.ok);
  // A cancelled check says nothing about the host.
  if (isEngineError(failed?.error, 'CANCELLED')) throw failed.error;
  await services.model.setHostCheck(report);
  if (!failed) {
    void vscode.window.showInformationMessage(`This host can checkpoint and restore containers (CRIU ${report.criu}, kernel ${report.kernel}).`);
    return report;
  }
  void vscode.window
    .showErrorMessage(`Host check failed at "${failed.title}": ${failed.detail ?? 'see the log'}. Checkpoints will not work here until it passes.`, 'Show Log')
    .then((choice) => choice && services.log.show(true));
  return report;
}
