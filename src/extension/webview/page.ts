import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/**
 * A webview page: its CSP allows nothing but the extension's own stylesheets (media/) and fonts and, when given,
 * its own script by nonce. `body` is markup already escaped, or a shell that the script fills by message.
 */
export function webviewPage(webview: vscode.Webview, extensionUri: vscode.Uri, page: { title: string; styles: string[]; script?: string; body: string }): string {
  const nonce = randomBytes(16).toString('base64');
  const uri = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...path));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    ...(page.script ? [`script-src 'nonce-${nonce}'`] : []),
    `img-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${page.styles.map((s) => `<link rel="stylesheet" href="${uri('media', s)}">`).join('\n')}
<title>${page.title}</title>
</head>
<body>
${page.body}
${page.script ? `<script nonce="${nonce}" src="${uri(...page.script.split('/'))}"></script>` : ''}
</body>
</html>`;
}
