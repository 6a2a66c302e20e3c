import * as vscode from 'vscode';
import { describeError, type HostCheckReport } from '../../engine/index.js';
import { formatCheckStep } from '../../shared/format.js';
import type { Services } from '../services.js';
import { errorText, UserCancelled, withProgress } from './runCommand.js';

/**
 * Checkpoint: Check This Host — proves podman and CRIU work here with a real checkpoint and restore, each step
 * timed in the log; a failure also heads the Containers view until a check passes. Returns the report.
 */
export async function checkHost(services: Services): Promise<HostCheckReport> {
  const { log } = services;
  log.info('Checking this host with a real checkpoint and restore:');
  const { report, cancelled } = await withProgress('Checking this host with a real checkpoint and restore', async (stage, signal) => {
    const report = await services.podman().checkHost({
      signal,
      onStart: (title) => stage(`${title}…`),
      onStep: (step) => {
        if (step.ok) log.info(formatCheckStep(step));
        else {
          // The error in full (with CRIU's log tail) says more than the step's one-line detail.
          log.error(formatCheckStep({ ...step, detail: undefined }));
          log.error(describeError(step.error ?? step.detail));
        }
      },
    });
    // Told by the user's signal, not the error: a step that timed out is a finding about the host.
    return { report, cancelled: signal.aborted };
  });
  const failed = report.steps.find((s) => !s.ok);
  // A check the user stopped says nothing about the host.
  if (failed && cancelled) throw new UserCancelled();
  await services.model.setHostCheck(report);
  if (!failed) {
    const text = `This host can checkpoint and restore containers (CRIU ${report.criu}, kernel ${report.kernel}).`;
    log.info(text);
    void vscode.window.showInformationMessage(text);
    return report;
  }
  void vscode.window
    .showErrorMessage(
      `The host check failed at "${failed.title}", so checkpoints will not work here until it passes: ${errorText(failed.error ?? failed.detail)}`,
      'Show Log',
    )
    .then((choice) => choice && log.show(true));
  return report;
}
