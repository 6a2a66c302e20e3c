import * as vscode from 'vscode';

/** Heads the Containers view after a failed host check: says where it failed, and a click checks again. */
export class HostCheckNode extends vscode.TreeItem {
  /** Not a container: lets callers tell the rows apart with `node.container`. */
  readonly container = undefined;

  constructor(failedStep: string, cause: string) {
    super(`Host check failed: ${failedStep}`, vscode.TreeItemCollapsibleState.None);
    this.description = 'click to check again';
    this.tooltip = new vscode.MarkdownString().appendText(
      `Checkpoints will not work on this host until the check passes.\n\n${cause}\n\nThe log has every step.`,
    );
    this.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    this.contextValue = 'hostCheckFailed';
    this.command = { command: 'checkpointStudio.checkHost', title: 'Check This Host' };
  }
}
