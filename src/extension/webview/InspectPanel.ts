import * as vscode from 'vscode';
import { isEngineError, memoryByKind, type CheckpointContents, type CheckpointInspection, type InspectModel, type MemorySearchOptions } from '../../engine/index.js';
import type { ContentsView, FromInspectView, MemoryQuery, MemorySearchView, ToInspectView } from '../../shared/inspectMessages.js';
import type { CheckpointContentsReader, ContentsTarget } from '../tree/CheckpointContentsReader.js';
import { webviewPage } from './page.js';

/** What the page shows: the annotations (Overview) and, once read, what the checkpoint holds (the other tabs). */
export interface InspectPanelModel extends InspectModel {
  /** The processes, files, sockets and mounts, once read. */
  contents?: CheckpointContents;
  /** The read as the page shows it: under way, done (with rootfs changes and memory sizes), or why it failed. */
  read: ContentsView;
  /** The last memory search. */
  search?: MemorySearchView;
}

/** What to show: the annotations compared with this host, and the checkpoint to read for the other tabs. */
export interface InspectTarget {
  model: InspectModel;
  hostKnown: boolean;
  contents: ContentsTarget;
}

/** Bytes of memory shown on each side of a match. */
const SEARCH_CONTEXT = 32;
/** Matches listed at most: more is a sign the search needs narrowing, and the page stays small. */
const SEARCH_MATCHES = 500;
/** Longest search text or expression taken from the page. */
const QUERY_MAX = 1000;

/** One panel per checkpoint image; showing the same image again reveals and updates it. */
export class InspectPanel implements vscode.Disposable {
  static readonly viewType = 'checkpointStudio.inspect';
  static readonly #open = new Map<string, InspectPanel>();

  readonly #panel: vscode.WebviewPanel;
  readonly #disposables: vscode.Disposable[] = [];
  readonly #reader: CheckpointContentsReader;
  #target: InspectTarget;
  #read: ContentsView = { state: 'reading' };
  #search?: MemorySearchView;
  #searchAbort?: AbortController;
  #disposed = false;

  static show(extensionUri: vscode.Uri, reader: CheckpointContentsReader, target: InspectTarget): InspectPanel {
    const existing = InspectPanel.#open.get(target.model.image.id);
    if (existing) {
      existing.#target = target;
      existing.#panel.reveal();
      // A read that failed or was cancelled is tried again; one under way or done is kept.
      if (existing.#read.state === 'failed') void existing.#readContents();
      else existing.#post();
      return existing;
    }
    const panel = new InspectPanel(extensionUri, reader, target);
    InspectPanel.#open.set(target.model.image.id, panel);
    void panel.#readContents();
    return panel;
  }

  /** Open panels, for tests and for refreshing after host changes. */
  static get openPanels(): InspectPanel[] {
    return [...InspectPanel.#open.values()];
  }

  private constructor(extensionUri: vscode.Uri, reader: CheckpointContentsReader, target: InspectTarget) {
    this.#reader = reader;
    this.#target = target;
    const name = target.model.image.names[0] ?? target.model.image.id.slice(0, 12);
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

  get model(): InspectPanelModel {
    return { ...this.#target.model, contents: this.#read.state === 'read' ? this.#read.inspection.contents : undefined, read: this.#read, search: this.#search };
  }

  #post(): void {
    if (this.#disposed) return;
    const message: ToInspectView = { type: 'model', model: this.#target.model, hostKnown: this.#target.hostKnown, contents: this.#read, search: this.#search };
    void this.#panel.webview.postMessage(message);
  }

  async #readContents(): Promise<void> {
    this.#read = { state: 'reading' };
    this.#post();
    const { contents } = this.#target;
    try {
      const inspection = await this.#reader.read(contents, { notification: `Reading the checkpoint ${contents.ref}` });
      this.#read = { state: 'read', inspection, memory: memoryOf(inspection) };
    } catch (err) {
      this.#read = failure(err);
    }
    this.#post();
  }

  async #searchMemory(query: MemoryQuery): Promise<void> {
    const text = String(query.text ?? '').slice(0, QUERY_MAX);
    if (!text) return;
    const asked: MemoryQuery = { text, regex: query.regex === true, pid: Number.isSafeInteger(query.pid) ? query.pid : undefined };
    this.#searchAbort?.abort();
    const abort = (this.#searchAbort = new AbortController());
    this.#search = { state: 'searching', query: asked };
    this.#post();
    const options: Omit<MemorySearchOptions, 'signal'> = {
      ...(asked.regex ? { regex: text } : { search: text }),
      pid: asked.pid,
      context: SEARCH_CONTEXT,
      maxMatches: SEARCH_MATCHES,
    };
    try {
      const report = await this.#reader.searchMemory(this.#target.contents, options, abort);
      this.#search = { state: 'done', query: asked, matches: report.matches, truncated: report.truncated };
    } catch (err) {
      const { message, hint } = failure(err);
      this.#search = { state: 'failed', query: asked, message, hint };
    }
    if (this.#searchAbort === abort) this.#post();
  }

  async #onMessage(m: FromInspectView): Promise<void> {
    if (m.type === 'ready') this.#post();
    if (m.type === 'copyJson') {
      const { image, annotations } = this.#target.model;
      await vscode.env.clipboard.writeText(JSON.stringify({ ...image, annotations }, null, 2));
      void vscode.window.showInformationMessage('Copied the checkpoint image as JSON.');
    }
    if (m.type === 'cancel') {
      if (this.#search?.state === 'searching') this.#searchAbort?.abort();
      else if (this.#read.state === 'reading') this.#reader.cancel(this.#target.contents.key);
    }
    if (m.type === 'searchMemory') await this.#searchMemory(m.query);
  }

  dispose(): void {
    this.#disposed = true;
    this.#searchAbort?.abort();
    InspectPanel.#open.delete(this.#target.model.image.id);
    this.#panel.dispose();
    this.#disposables.forEach((d) => d.dispose());
  }
}

/** Per process: the bytes of pages the checkpoint holds, and the bytes it mapped by kind of mapping. */
function memoryOf(inspection: CheckpointInspection): Extract<ContentsView, { state: 'read' }>['memory'] {
  return inspection.contents.processes.map((p) => ({
    pid: p.pid,
    comm: p.comm,
    dumpedBytes: p.memory.dumpedBytes,
    mappedBytes: Object.fromEntries(memoryByKind(p.memory.vmas)),
  }));
}

function failure(err: unknown): Extract<ContentsView, { state: 'failed' }> {
  return {
    state: 'failed',
    message: err instanceof Error ? err.message : String(err),
    hint: isEngineError(err) ? err.hint : undefined,
    cancelled: isEngineError(err, 'CANCELLED'),
  };
}

/** The page shell: no data in it (values arrive by message and are set as text), strict CSP with a nonce. */
function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  return webviewPage(webview, extensionUri, {
    title: 'Checkpoint image',
    styles: ['inspect.css'],
    script: 'dist/webview/inspect.js',
    body: '<main id="root" aria-live="polite"><p class="loading">Loading…</p></main>',
  });
}
