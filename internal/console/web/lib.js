// The console's plumbing: building elements, calling /console/api/ with
// the session's CSRF token, errors, formatting. app.js holds the pages.

// signedOut (set by app.js) is called when the API says the session ended.
export const state = { me: null, timers: [], seq: 0, signedOut: null };

// h builds an element: h('a', {href: '#'}, 'text', child…). Text is always
// set as text, never parsed as HTML.
export function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return el;
}

export const $main = () => document.getElementById('main');
export function show(...nodes) { $main().replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false)); }
// view returns the show of one rendering: a page still loading when the
// user has moved on must not replace the page they moved to.
export function view() {
  const n = state.seq;
  return (...nodes) => { if (n === state.seq) show(...nodes); };
}
export function status(msg) { document.getElementById('status').textContent = msg || ''; }
export function errorBox(e) { return h('p', { class: 'error', role: 'alert' }, String(e.message || e)); }

export class APIError extends Error {
  constructor(status, code, message) { super(code ? `${code}: ${message}` : message); this.status = status; this.code = code; }
}

export async function api(method, path, body, { raw = false, headers = {} } = {}) {
  const hd = { ...headers };
  if (method !== 'GET') hd['X-Kura-Csrf'] = state.me ? state.me.csrf : '';
  let b = body;
  if (body !== undefined && typeof body === 'object' && !(body instanceof Blob)) {
    b = JSON.stringify(body);
    hd['Content-Type'] = 'application/json';
  }
  const r = await fetch(path, { method, headers: hd, body: b, credentials: 'same-origin' });
  const text = await r.text();
  if (!r.ok) {
    if (r.status === 401 && !path.endsWith('/signin')) { state.me = null; state.signedOut?.('Your session ended; sign in again.'); }
    throw parseError(r.status, text);
  }
  if (raw) return text;
  return text ? JSON.parse(text) : {};
}

export function parseError(status, text) {
  try {
    const j = JSON.parse(text);
    if (j.error) return new APIError(status, j.error.code, j.error.message);
    if (j.__type) return new APIError(status, j.__type.split('#').pop(), j.message || j.Message || '');
  } catch (_) { /* XML (IAM) */ }
  const x = new DOMParser().parseFromString(text, 'application/xml');
  const code = x.querySelector('Code'), msg = x.querySelector('Message');
  if (code) return new APIError(status, code.textContent, msg ? msg.textContent : '');
  return new APIError(status, '', text || `HTTP ${status}`);
}

export const kms = (op, body = {}) => api('POST', `/console/api/kms/${op}`, body);
export async function iam(params) {
  const text = await api('POST', '/console/api/iam', new URLSearchParams(params).toString(),
    { raw: true, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  return new DOMParser().parseFromString(text, 'application/xml');
}
export const xmlText = (el, name) => { const n = el.getElementsByTagName(name)[0]; return n ? n.textContent : ''; };

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
  return `${n.toFixed(n < 10 ? 1 : 0)} ${u[i]}`;
}
export const when = (t) => (t && !t.startsWith('0001') ? new Date(t).toLocaleString() : '');
export const enc = (e) => e.type + (e.kmsKeyArn ? ` ${shortKey(e.kmsKeyArn)}` : '') + (e.bucketKey ? ' (bucket key)' : '');
export const shortKey = (arn) => arn.replace(/^arn:aws:kms:[^:]*:\d+:key\//, 'key/');
export const q = (o) => new URLSearchParams(o).toString();
