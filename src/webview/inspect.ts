/**
 * The inspect webview. Every value comes from other people's images: it is only ever set with textContent,
 * never parsed as HTML, so markup in an annotation stays text.
 */
import type { InspectField, InspectModel, Verdict } from '../engine/inspect.js';
import type { FromInspectView, ToInspectView } from '../shared/inspectMessages.js';
import { formatSize } from '../shared/format.js';

interface VsCodeApi {
  postMessage(message: FromInspectView): void;
  getState(): ToInspectView | undefined;
  setState(state: ToInspectView): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
const root = document.getElementById('root')!;

const VERDICT_TEXT: Record<Verdict, string> = {
  same: 'Matches this host',
  differs: 'Differs from this host',
  warning: 'May not restore on this host',
  blocker: 'Will not restore on this host',
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

function valueCell(value: string | undefined, field?: InspectField): HTMLElement {
  // Multi-line values (the runtime's version) keep their lines.
  const cell = el('td', { class: 'value' }, el('pre', {}, value ?? ''));
  if (field?.verdict && field.verdict !== 'same') cell.classList.add(`verdict-${field.verdict}`);
  return cell;
}

function render(message: ToInspectView): void {
  api.setState(message);
  const { model, hostKnown } = message;
  root.replaceChildren(header(model), summary(model), ...model.groups.map((g) => group(g.title, g.fields, hostKnown)));
}

function header(model: InspectModel): HTMLElement {
  const copy = el('button', { id: 'copy-json', type: 'button' }, 'Copy as JSON');
  copy.addEventListener('click', () => api.postMessage({ type: 'copyJson' }));
  const head = el('header', {}, el('h1', {}, model.image.names[0] ?? model.image.id.slice(0, 12)), copy);
  if (model.worst !== 'same' && model.worst !== 'differs') {
    head.append(el('p', { class: `banner verdict-${model.worst}`, role: 'alert' }, `${VERDICT_TEXT[model.worst]}: see the highlighted values.`));
  }
  return head;
}

function summary(model: InspectModel): HTMLElement {
  const rows: [string, string][] = [
    ['Names', model.image.names.join(', ') || '<none>'],
    ['Digest', model.image.digest],
    ['Image ID', model.image.id],
    ['Size', formatSize(model.image.size)],
    ['Created', model.image.created ? new Date(model.image.created).toLocaleString() : '-'],
  ];
  return el('section', { class: 'summary' }, el('dl', {}, ...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])));
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

window.addEventListener('message', (event: MessageEvent<ToInspectView>) => {
  if (event.data?.type === 'model') render(event.data);
});
const saved = api.getState();
if (saved) render(saved);
api.postMessage({ type: 'ready' });
