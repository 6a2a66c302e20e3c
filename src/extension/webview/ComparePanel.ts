import * as vscode from 'vscode';
import type { CheckpointDiff, DiffLine, DiffSection } from '../../engine/index.js';
import { terminalSafe } from '../../shared/terminalSafe.js';
import { webviewPage } from './page.js';

/** What the compare page shows: the two checkpoints, the diff, and the diff in words by section. */
export interface CompareModel {
  a: string;
  b: string;
  diff: CheckpointDiff;
  sections: DiffSection[];
}

/**
 * One panel per pair of checkpoints; comparing the same pair again reveals and updates it. The page is built
 * here from the model, every string escaped, with no script at all: sections fold with <details>.
 */
export class ComparePanel implements vscode.Disposable {
  static readonly viewType = 'checkpointStudio.compare';
  static readonly #open = new Map<string, ComparePanel>();

  readonly #panel: vscode.WebviewPanel;
  readonly #key: string;
  #model: CompareModel;

  /** `key` names the pair by content (digests), so the same two checkpoints under other names share a panel. */
  static show(extensionUri: vscode.Uri, key: string, model: CompareModel): ComparePanel {
    const existing = ComparePanel.#open.get(key);
    if (existing) {
      existing.#render(extensionUri, model);
      existing.#panel.reveal();
      return existing;
    }
    const panel = new ComparePanel(extensionUri, key, model);
    ComparePanel.#open.set(key, panel);
    return panel;
  }

  private constructor(extensionUri: vscode.Uri, key: string, model: CompareModel) {
    this.#key = key;
    this.#model = model;
    this.#panel = vscode.window.createWebviewPanel(ComparePanel.viewType, 'Compare checkpoints', vscode.ViewColumn.Active, {
      enableScripts: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')],
    });
    this.#panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'checkpoint.svg');
    this.#panel.onDidDispose(() => ComparePanel.#open.delete(this.#key));
    this.#render(extensionUri, model);
  }

  get model(): CompareModel {
    return this.#model;
  }

  /** The page as served, for tests that check what a person sees. */
  get html(): string {
    return this.#panel.webview.html;
  }

  #render(extensionUri: vscode.Uri, model: CompareModel): void {
    this.#model = model;
    this.#panel.title = `Compare: ${shortName(model.a)} ↔ ${shortName(model.b)}`;
    this.#panel.webview.html = page(this.#panel.webview, extensionUri, model);
  }

  dispose(): void {
    this.#panel.dispose();
  }
}

/** The last part of a reference, for the tab title. */
function shortName(ref: string): string {
  return ref.split('/').at(-1) ?? ref;
}

function page(webview: vscode.Webview, extensionUri: vscode.Uri, { a, b, diff, sections }: CompareModel): string {
  const body = diff.equal
    ? '<p class="equal">No differences.</p>'
    : sections.map(section).join('\n');
  const notes = diff.notes.length
    ? `<details open class="notes"><summary>Not compared</summary><ul>${diff.notes.map((n) => `<li>${escape(n)}</li>`).join('')}</ul></details>`
    : '';
  return webviewPage(webview, extensionUri, {
    title: 'Compare checkpoints',
    styles: ['inspect.css', 'compare.css'],
    body: `<header><h1>Compare checkpoints</h1></header>
<dl class="sides"><dt>A</dt><dd>${escape(a)}</dd><dt>B</dt><dd>${escape(b)}</dd></dl>
<p class="legend">What B adds (+), lacks (−) and changes (~) against A.</p>
${body}
${notes}`,
  });
}

function section(s: DiffSection): string {
  return `<details open data-section="${escape(s.title)}"><summary>${escape(s.title)} <span class="count">(${s.lines.length})</span></summary>
<ul class="diff">${s.lines.map(line).join('')}</ul></details>`;
}

const SIGN_CLASS = { '+': 'added', '-': 'gone', '~': 'changed' } as const;

function line(l: DiffLine): string {
  const details = l.details?.length ? `<ul>${l.details.map(line).join('')}</ul>` : '';
  return `<li class="${SIGN_CLASS[l.sign]}"><span class="sign">${l.sign === '-' ? '−' : l.sign}</span>${escape(l.text)}${details}</li>`;
}

/**
 * Text as HTML text or attribute value: nothing in it can open a tag or leave an attribute, and controls and
 * bidi overrides show as escapes (as in the CLI) instead of reordering what is shown.
 */
function escape(text: string): string {
  return terminalSafe(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
