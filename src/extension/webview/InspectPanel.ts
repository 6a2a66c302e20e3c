import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { InspectModel } from '../../engine/index.js';
import type { FromInspectView, ToInspectView } from '../../shared/inspectMessages.js';

/** One panel per checkpoint image; showing the same image again reveals and updates it. */
export class InspectPanel implements vscode.Disposable {
  static readonly viewType = 'checkpointStudio.inspect';
  static readonly #open = new Map<string, InspectPanel>();

  readonly #panel: vscode.WebviewPanel;
  readonly #disposables: vscode.Disposable[] = [];
  #message: ToInspectView;

  static show(extensionUri: vscode.Uri, model: InspectModel, hostKnown: boolean): InspectPanel {
    const message: ToInspectView = { type: 'model', model, hostKnown };
    const existing = InspectPanel.#open.get(model.image.id);
    if (existing) {
      existing.#post(message);
      existing.#panel.reveal();
      return existing;
    }
    const panel = new InspectPanel(extensionUri, message);
    InspectPanel.#open.set(model.image.id, panel);
    return panel;
  }

  /** Open panels, for tests and for refreshing after host changes. */
  static get openPanels(): InspectPanel[] {
    return [...InspectPanel.#open.values()];
  }

  private constructor(extensionUri: vscode.Uri, message: ToInspectView) {
    this.#message = message;
    const name = message.model.image.names[0] ?? message.model.image.id.slice(0, 12);
    this.#panel = vscode.window.createWebviewPanel(InspectPanel.viewType, `Checkpoint: ${name}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media'), vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
    });
    this.#panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'checkpoint.svg');
    this.#panel.webview.html = html(this.#panel.webview, extensionUri);
    this.#disposables.push(
      this.#panel.onDidDispose(() => this.dispose()),
      this.#panel.webview.onDidReceiveMessage((m: FromInspectView) => this.#onMessage(m)),
    );
  }

  get model(): InspectModel {
    return this.#message.model;
  }

  #post(message: ToInspectView): void {
    this.#message = message;
    void this.#panel.webview.postMessage(message);
  }

  async #onMessage(m: FromInspectView): Promise<void> {
    if (m.type === 'ready') this.#post(this.#message);
    if (m.type === 'copyJson') {
      const { image, annotations } = this.#message.model;
      await vscode.env.clipboard.writeText(JSON.stringify({ ...image, annotations }, null, 2));
      void vscode.window.showInformationMessage('Copied the checkpoint image as JSON.');
    }
  }

  dispose(): void {
    InspectPanel.#open.delete(this.#message.model.image.id);
    this.#panel.dispose();
    this.#disposables.forEach((d) => d.dispose());
  }
}

/** The page shell: no data in it (values arrive by message and are set as text), strict CSP with a nonce. */
function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'inspect.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'inspect.css'));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Checkpoint image</title>
</head>
<body>
<main id="root" aria-live="polite"><p class="loading">Loading…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
