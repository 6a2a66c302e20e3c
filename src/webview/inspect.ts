/**
 * The inspect webview: tabs for the image's annotations (Overview) and what the checkpoint holds (Processes,
 * Files & Sockets, Memory, Changes). Every value comes from other people's images and processes: it is only
 * ever set with textContent or setAttribute, never parsed as HTML, so markup in a name, path or variable stays text.
 */
import type { CheckpointProcess, InspectField, InspectModel, OpenFd, Verdict } from '../engine/index.js';
import type { ContentsView, FromInspectView, MemorySearchView, ToInspectView } from '../shared/inspectMessages.js';
import { formatSize } from '../shared/format.js';
import { describeFd, formatCmdline, isSocket } from '../shared/openFiles.js';
import { processForest } from '../shared/processTree.js';

type Tab = 'overview' | 'processes' | 'files' | 'memory' | 'changes';
type Read = Extract<ContentsView, { state: 'read' }>;

interface PageState {
  message: ToInspectView;
  tab: Tab;
}

interface VsCodeApi {
  postMessage(message: FromInspectView): void;
  getState(): PageState | undefined;
  setState(state: PageState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
const root = document.getElementById('root')!;

const TABS: [Tab, string][] = [
  ['overview', 'Overview'],
  ['processes', 'Processes'],
  ['files', 'Files & Sockets'],
  ['memory', 'Memory'],
  ['changes', 'Changes'],
];

const VERDICT_TEXT: Record<Verdict, string> = {
  same: 'Matches this host',
  differs: 'Differs from this host',
  warning: 'May not restore on this host',
  blocker: 'Will not restore on this host',
};

let page: PageState | undefined;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

function button(label: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = el('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', onClick);
  return b;
}

function render(state: PageState): void {
  page = state;
  api.setState(state);
  const { model } = state.message;
  root.replaceChildren(header(model), tabBar(state.tab), el('section', { role: 'tabpanel', id: `panel-${state.tab}`, 'aria-labelledby': `tab-${state.tab}` }, ...tabContent(state)));
}

function tabBar(active: Tab): HTMLElement {
  const tabs = TABS.map(([tab, label]) =>
    button(label, () => page && render({ ...page, tab }), { role: 'tab', id: `tab-${tab}`, 'aria-selected': String(tab === active), 'aria-controls': `panel-${tab}`, class: 'tab' }),
  );
  const bar = el('nav', { role: 'tablist', class: 'tabs' }, ...tabs);
  // Arrow keys move between tabs, as in VS Code's own tab lists.
  bar.addEventListener('keydown', (e) => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step || !page) return;
    const next = TABS[(TABS.findIndex(([t]) => t === page!.tab) + step + TABS.length) % TABS.length]![0];
    render({ ...page, tab: next });
    document.getElementById(`tab-${next}`)?.focus();
  });
  return bar;
}

function tabContent({ message, tab }: PageState): Node[] {
  if (tab === 'overview') return overview(message);
  const { contents } = message;
  if (contents.state === 'reading') {
    return [el('p', { class: 'loading' }, 'Reading the checkpoint… '), button('Cancel', () => api.postMessage({ type: 'cancel' }), { id: 'cancel-read' })];
  }
  if (contents.state === 'failed') {
    return [
      el('p', { class: contents.cancelled ? 'note' : 'error', role: 'alert' }, contents.cancelled ? 'Reading the checkpoint was cancelled.' : `Could not read the checkpoint: ${contents.message}`),
      ...(contents.hint ? [el('p', { class: 'note' }, contents.hint)] : []),
    ];
  }
  switch (tab) {
    case 'processes':
      return processesTab(contents);
    case 'files':
      return filesTab(contents);
    case 'memory':
      return memoryTab(contents, message.search);
    case 'changes':
      return changesTab(contents);
  }
}

// Overview: the annotations, each host value beside this machine's.

function header(model: InspectModel): HTMLElement {
  const copy = button('Copy as JSON', () => api.postMessage({ type: 'copyJson' }), { id: 'copy-json' });
  const head = el('header', {}, el('h1', {}, model.image.names[0] ?? model.image.id.slice(0, 12)), copy);
  if (model.worst !== 'same' && model.worst !== 'differs') {
    head.append(el('p', { class: `banner verdict-${model.worst}`, role: 'alert' }, `${VERDICT_TEXT[model.worst]}: see the highlighted values.`));
  }
  return head;
}

function overview({ model, hostKnown, contents }: ToInspectView): Node[] {
  const sections: Node[] = [summary(model), ...model.groups.map((g) => group(g.title, g.fields, hostKnown))];
  if (contents.state === 'read') {
    const { summary: s, missing, contents: c, read } = contents.inspection;
    const rows: [string, string][] = [
      ['Checkpoint size', formatSize(s.sizes.checkpoint)],
      ['Memory pages', formatSize(s.sizes.memoryPages)],
      ['Processes', String(c.processes.length)],
      // podman's images are read in place (mounted); archives, layouts and registries are streamed.
      ['Read', read.bytes ? `${formatSize(read.bytes)} streamed, ${read.passes === 1 ? 'one pass' : `${read.passes} passes`}` : 'in place'],
    ];
    sections.push(el('section', { class: 'group' }, el('h2', {}, 'Checkpoint'), definitions(rows)));
    const notes = [...missing, ...c.notes];
    if (notes.length) sections.push(el('section', { class: 'group' }, el('h2', {}, 'Not shown'), el('ul', {}, ...notes.map((n) => el('li', {}, n)))));
  }
  return sections;
}

function definitions(rows: [string, string][]): HTMLElement {
  return el('dl', {}, ...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function summary(model: InspectModel): HTMLElement {
  return el(
    'section',
    { class: 'summary' },
    definitions([
      ['Names', model.image.names.join(', ') || '<none>'],
      ['Digest', model.image.digest],
      ['Image ID', model.image.id],
      ['Size', formatSize(model.image.size)],
      ['Created', model.image.created ? new Date(model.image.created).toLocaleString() : '-'],
    ]),
  );
}

function valueCell(value: string | undefined, field?: InspectField): HTMLElement {
  // Multi-line values (the runtime's version) keep their lines.
  const cell = el('td', { class: 'value' }, el('pre', {}, value ?? ''));
  if (field?.verdict && field.verdict !== 'same') cell.classList.add(`verdict-${field.verdict}`);
  return cell;
}

function group(title: string, fields: InspectField[], hostKnown: boolean): HTMLElement {
  const compare = hostKnown && fields.some((f) => f.hostValue !== undefined);
  const head = el('tr', {}, el('th', {}, ''), el('th', {}, 'Recorded'), ...(compare ? [el('th', {}, 'This host')] : []));
  const rows = fields.map((f) => {
    const row = el('tr', { 'data-key': f.key }, el('th', { scope: 'row', title: f.key }, f.label), valueCell(f.value, f));
    if (compare) row.append(valueCell(f.hostValue, f));
    if (f.note) row.append(el('td', { class: 'note' }, f.note));
    if (f.verdict) row.setAttribute('data-verdict', f.verdict);
    return row;
  });
  return el('section', { class: 'group' }, el('h2', {}, title), el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)));
}

function table(headers: string[], rows: (string | Node)[][], empty: string, attrs: Record<string, string> = {}): HTMLElement {
  if (!rows.length) return el('p', { class: 'note' }, empty);
  return el(
    'table',
    attrs,
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))),
  );
}

// Processes: the tree, each with its command line, state, credentials and environment.

function processesTab({ inspection }: Read): Node[] {
  const processes = inspection.contents.processes;
  const { roots, children } = processForest(processes);
  // Drawn without recursion: a hostile pstree may be deep.
  const tree = el('ul', { class: 'tree' });
  const todo: [CheckpointProcess, HTMLElement][] = roots.map((p): [CheckpointProcess, HTMLElement] => [p, tree]).reverse();
  while (todo.length) {
    const [p, into] = todo.pop()!;
    const item = el('li', {}, processDetails(p));
    into.append(item);
    const kids = children(p);
    if (!kids.length) continue;
    const list = el('ul', { class: 'tree' });
    item.append(list);
    for (const c of [...kids].reverse()) todo.push([c, list]);
  }
  return [el('p', { class: 'note' }, `${processes.length} ${processes.length === 1 ? 'process' : 'processes'}; open one to see its command line, credentials and environment.`), tree];
}

function processDetails(p: CheckpointProcess): HTMLElement {
  const cmdline = p.cmdline ? formatCmdline(p.cmdline) : undefined;
  const head = el('summary', { 'data-pid': String(p.pid) }, el('span', { class: 'pid' }, String(p.pid)), ' ', el('strong', {}, p.comm));
  if (p.state !== 'alive') head.append(' ', el('span', { class: 'verdict-warning' }, p.state));
  if (cmdline) head.append(' ', el('code', { class: 'cmdline' }, cmdline));
  const rows: [string, string][] = [
    ['Command line', cmdline ?? '(its memory pages are not in the checkpoint)'],
    ['State', `${p.state}${p.exitCode !== undefined ? ` (exit code ${p.exitCode})` : ''}`],
    ['Parent', `${p.ppid} · process group ${p.pgid} · session ${p.sid}`],
    ['Threads', p.threads.join(', ')],
  ];
  if (p.creds) {
    rows.push(['Credentials', `uid ${p.creds.uid} gid ${p.creds.gid} · effective uid ${p.creds.euid} gid ${p.creds.egid}`]);
    rows.push(['Capabilities', p.creds.capabilities.effective.join(' ') || 'none']);
  }
  rows.push(['Seccomp', p.seccomp]);
  if (p.cwd !== undefined) rows.push(['Working directory', p.cwd]);
  if (p.root !== undefined) rows.push(['Root', p.root]);
  const environment = p.environment
    ? el('pre', { class: 'environment' }, p.environment.join('\n') || '(empty)')
    : el('p', { class: 'note' }, '(its memory pages are not in the checkpoint)');
  return el('details', { class: 'process' }, head, definitions(rows), el('h3', {}, 'Environment'), environment);
}

// Files & Sockets: every descriptor by process, and the mounts.

function filesTab({ inspection }: Read): Node[] {
  const { processes, mounts } = inspection.contents;
  const of = (keep: (f: OpenFd) => boolean) => processes.flatMap((p) => p.fds.filter(keep).map((f) => ({ p, f })));
  const files = of((f) => !isSocket(f)).map(({ p, f }) => [String(p.pid), p.comm, String(f.fd), f.kind, describeFd(f), f.kind === 'file' ? `${f.pos}${f.deleted ? ' (deleted)' : ''}` : '']);
  const sockets = of(isSocket).map(({ p, f }) => [String(p.pid), p.comm, String(f.fd), ...socketColumns(f)]);
  const mountRows = mounts.map((m) => [m.mountpoint, m.type, m.source, [m.readOnly ? 'ro' : 'rw', m.external ? 'from the host' : ''].filter(Boolean).join(', ')]);
  return [
    el('h2', {}, 'Open files'),
    table(['PID', 'Process', 'FD', 'Kind', 'Path', 'Position'], files, 'No open files.', { id: 'files' }),
    el('h2', {}, 'Sockets'),
    table(['PID', 'Process', 'FD', 'Protocol', 'Local', 'Remote', 'State'], sockets, 'No sockets.', { id: 'sockets' }),
    el('h2', {}, 'Mounts'),
    table(['Mountpoint', 'Type', 'Source', 'Mode'], mountRows, 'No mounts.', { id: 'mounts' }),
  ];
}

function socketColumns(f: OpenFd): string[] {
  switch (f.kind) {
    case 'unix':
      return [`unix ${f.type}`, f.name ?? '(unnamed)', f.peer ? `peer inode ${f.peer}` : '', f.state];
    case 'inet': {
      const at = (a: { address: string; port: number }) => (f.family === 'ipv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
      return [`${f.protocol} (${f.family})`, at(f.local), at(f.remote), f.state];
    }
    default:
      return [f.kind, describeFd(f), '', ''];
  }
}

// Memory: sizes per process, and a search through the pages.

function memoryTab({ memory }: Read, search: MemorySearchView | undefined): Node[] {
  const kinds = [...new Set(memory.flatMap((m) => Object.keys(m.mappedBytes)))].sort();
  const rows = memory.map((m) => [
    String(m.pid),
    m.comm,
    formatSize(m.dumpedBytes),
    ...kinds.map((k) => formatSize(m.mappedBytes[k as keyof typeof m.mappedBytes] ?? 0)),
  ]);
  return [
    el('h2', {}, 'Size per process'),
    el('p', { class: 'note' }, 'In the checkpoint: the bytes of memory pages it holds. The other columns: the bytes mapped, by kind of mapping.'),
    table(['PID', 'Process', 'In the checkpoint', ...kinds], rows, 'No processes.', { id: 'memory' }),
    el('h2', {}, 'Search'),
    searchForm(memory, search),
    ...searchResults(search),
  ];
}

function searchForm(memory: Read['memory'], search: MemorySearchView | undefined): HTMLElement {
  const text = el('input', { type: 'search', id: 'search-text', placeholder: 'Text to find in memory', 'aria-label': 'Text to find in memory', maxlength: '1000' });
  text.value = search?.query.text ?? '';
  const regex = el('input', { type: 'checkbox', id: 'search-regex' });
  regex.checked = search?.query.regex ?? false;
  const pid = el('select', { id: 'search-pid', 'aria-label': 'Process' }, el('option', { value: '' }, 'All processes'));
  for (const m of memory) pid.append(el('option', { value: String(m.pid) }, `${m.pid} ${m.comm}`));
  pid.value = search?.query.pid !== undefined ? String(search.query.pid) : '';
  const form = el('form', { class: 'search' }, text, el('label', {}, regex, ' Regular expression'), pid, el('button', { type: 'submit', id: 'search-go' }, 'Search'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!text.value) return;
    api.postMessage({ type: 'searchMemory', query: { text: text.value, regex: regex.checked, pid: pid.value ? Number(pid.value) : undefined } });
  });
  return form;
}

function searchResults(search: MemorySearchView | undefined): Node[] {
  if (!search) return [];
  if (search.state === 'searching') return [el('p', { class: 'loading' }, 'Searching the memory pages… '), button('Cancel', () => api.postMessage({ type: 'cancel' }), { id: 'cancel-search' })];
  if (search.state === 'failed') return [el('p', { class: 'error', role: 'alert' }, search.message), ...(search.hint ? [el('p', { class: 'note' }, search.hint)] : [])];
  const count = `${search.matches.length}${search.truncated ? '+' : ''} ${search.matches.length === 1 ? 'match' : 'matches'}`;
  const rows = search.matches.map((m) => [String(m.pid), el('code', {}, m.address), m.text, el('pre', {}, m.context)]);
  return [el('p', { class: 'note', id: 'search-count' }, search.truncated ? `${count}: only the first are listed.` : count), table(['PID', 'Address', 'Match', 'Context'], rows, 'Not found.', { id: 'matches' })];
}

// Changes: the files the container changed or deleted, as a restore puts them back.

function changesTab({ inspection }: Read): Node[] {
  const rows = inspection.rootfsDiff.map((f) => [f.type, f.type === 'file' ? formatSize(f.size) : '', f.path]);
  return [table(['Change', 'Size', 'Path'], rows, 'The container changed no files.', { id: 'changes' })];
}

window.addEventListener('message', (event: MessageEvent<ToInspectView>) => {
  if (event.data?.type === 'model') render({ message: event.data, tab: page?.tab ?? 'overview' });
});
const saved = api.getState();
if (saved?.message) render(saved);
api.postMessage({ type: 'ready' });
