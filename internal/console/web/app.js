// The Kura console: plain ES modules, no build step. Every action is a
// call of /console/api/ as the signed-in principal; the page holds the
// session's CSRF token (never the secret, which is sent once at sign-in).

import {
  state, h, $main, show, view, status, errorBox, api, parseError, kms, iam, xmlText, bytes, when, enc, shortKey, q,
} from './lib.js';

const PART = 8 * 1024 * 1024; // multipart above this size, in parts of it

// --- sign-in ---------------------------------------------------------------

function renderSignIn(msg) {
  document.getElementById('nav').hidden = true;
  document.getElementById('who').replaceChildren();
  const err = h('div', { 'aria-live': 'assertive' }, msg ? h('p', { class: 'error' }, msg) : null);
  const form = h('form', { 'aria-labelledby': 'signin-title', onsubmit: async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    try {
      state.me = await api('POST', '/console/api/signin', {
        accessKeyId: f.get('ak'), secretAccessKey: f.get('sk'), sessionToken: f.get('token') || '' });
      form.reset();
      start();
    } catch (e) { err.replaceChildren(errorBox(e)); }
  } },
  h('label', {}, 'Access key ID', h('input', { name: 'ak', id: 'ak', required: true, autocomplete: 'username', spellcheck: 'false' })),
  h('label', {}, 'Secret access key', h('input', { name: 'sk', id: 'sk', type: 'password', required: true, autocomplete: 'current-password' })),
  h('label', {}, 'Session token (STS credentials only)', h('input', { name: 'token', id: 'token', autocomplete: 'off' })),
  h('button', { class: 'primary', type: 'submit', id: 'signin' }, 'Sign in'));
  show(h('section', { class: 'signin' }, h('h1', { id: 'signin-title' }, 'Sign in to Kura'),
    h('p', { class: 'muted' }, 'The console acts only with the permissions of this access key.'), err, form));
  document.getElementById('ak').focus();
}

function renderWho() {
  const me = state.me;
  document.getElementById('nav').hidden = false;
  document.getElementById('who').replaceChildren(
    h('span', { class: 'mono', title: me.arn }, me.arn),
    h('button', { type: 'button', id: 'signout', onclick: async () => {
      try { await api('POST', '/console/api/signout'); } catch (_) { /* already gone */ }
      state.me = null; renderSignIn();
    } }, 'Sign out'));
}

// --- routing ---------------------------------------------------------------

const routes = [
  [/^#\/?$/, buckets],
  [/^#\/b\/([^/]+)\/?(.*)$/, (b, p) => browse(decodeURIComponent(b), decodeURIComponent(p))],
  [/^#\/o\/([^/]+)\/(.+)$/, (b, k) => objectView(decodeURIComponent(b), decodeURIComponent(k))],
  [/^#\/posture\/([^/]+)$/, (b) => posture(decodeURIComponent(b))],
  [/^#\/settings\/([^/]+)$/, (b) => bucketSettings(decodeURIComponent(b))],
  [/^#\/replication\/([^/]+)$/, (b) => replicationView(decodeURIComponent(b))],
  [/^#\/jobs$/, jobs],
  [/^#\/kms$/, keys],
  [/^#\/audit(?:\?(.*))?$/, (qs) => auditView(new URLSearchParams(qs || ''))],
  [/^#\/iam$/, iamView],
];

async function route() {
  if (!state.me) return;
  state.seq++;
  state.timers.forEach(clearInterval);
  state.timers = [];
  status('');
  const hash = location.hash || '#/';
  for (const a of document.querySelectorAll('nav a')) {
    const target = a.getAttribute('href');
    const on = target === '#/' ? (hash === '#/' || hash.startsWith('#/b/') || hash.startsWith('#/o/') || hash.startsWith('#/posture') || hash.startsWith('#/settings') || hash.startsWith('#/replication')) : hash.startsWith(target);
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  for (const [re, fn] of routes) {
    const m = hash.match(re);
    if (m) {
      try { await fn(...m.slice(1)); } catch (e) { show(errorBox(e)); }
      $main().focus({ preventScroll: true });
      return;
    }
  }
  show(h('p', {}, 'No such page. ', h('a', { href: '#/' }, 'Buckets')));
}

async function start() {
  renderWho();
  await route();
}

// --- buckets and objects ---------------------------------------------------

async function buckets() {
  const show = view();
  const [{ buckets: list }, keyList] = await Promise.all([api('GET', '/console/api/buckets'), kmsKeyOptions()]);
  const msg = h('div', { 'aria-live': 'polite', id: 'bucket-msg' });
  show(h('h1', {}, 'Buckets'),
    list.length === 0 ? h('p', {}, 'This account has no buckets yet.') :
      h('table', { id: 'buckets' }, h('caption', { class: 'muted' }, `${list.length} bucket(s)`),
        h('thead', {}, h('tr', {}, ['Name', 'Created', 'Settings', 'Encryption posture', 'Replication', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, list.map((b) => h('tr', { 'data-bucket': b.name },
          h('th', { scope: 'row' }, h('a', { href: `#/b/${encodeURIComponent(b.name)}/` }, b.name)),
          h('td', {}, when(b.created)),
          h('td', {}, h('a', { href: `#/settings/${encodeURIComponent(b.name)}` }, 'Versioning and encryption')),
          h('td', {}, h('a', { href: `#/posture/${encodeURIComponent(b.name)}` }, 'Posture')),
          h('td', {}, h('a', { href: `#/replication/${encodeURIComponent(b.name)}` }, 'Rules and status')),
          h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `Delete bucket ${b.name}`, onclick: async () => {
            if (!confirm(`Delete bucket ${b.name}? It must be empty.`)) return;
            try { await api('DELETE', `/console/api/bucket?${q({ bucket: b.name })}`); status(`Deleted bucket ${b.name}.`); buckets(); } catch (e) { msg.replaceChildren(errorBox(e)); }
          } }, 'Delete')))))),
    msg, h('h2', {}, 'Create a bucket'), createBucketForm(keyList, msg));
}

// kmsKeyOptions lists the KMS keys the principal may list, labelled by
// alias; [] when it may not.
async function kmsKeyOptions() {
  try {
    const [k, a] = await Promise.all([kms('ListKeys'), kms('ListAliases')]);
    const alias = {};
    for (const x of a.Aliases || []) if (x.TargetKeyId) alias[x.TargetKeyId] = x.AliasName;
    return (k.Keys || []).map((x) => ({ arn: x.KeyArn, label: alias[x.KeyId] ? `${alias[x.KeyId]} (${x.KeyId})` : x.KeyId }));
  } catch (_) { return []; }
}

// encryptionFields are the inputs of a bucket default encryption; the key
// field takes any key id, ARN or alias, with the listed keys offered.
function encryptionFields(prefix, keyList, cur = {}) {
  return [
    h('label', {}, 'Default encryption', h('select', { name: 'encType', id: `${prefix}-enc` },
      ['SSE-S3', 'SSE-KMS', 'DSSE-KMS'].map((t) => h('option', { value: t, selected: cur.type === t }, t)))),
    h('label', {}, 'KMS key (SSE-KMS, DSSE-KMS)', h('input', { name: 'kmsKey', id: `${prefix}-key`, list: `${prefix}-keys`, size: 45, value: cur.kmsKeyId || '' })),
    h('datalist', { id: `${prefix}-keys` }, keyList.map((k) => h('option', { value: k.arn }, k.label))),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'bucketKey', id: `${prefix}-bucketkey`, checked: cur.bucketKey !== false }), 'S3 Bucket Key'),
  ];
}
const encryptionOf = (f) => ({ type: f.get('encType'), kmsKeyId: f.get('encType') === 'SSE-S3' ? '' : f.get('kmsKey'), bucketKey: f.get('bucketKey') === 'on' && f.get('encType') !== 'SSE-S3' });

function createBucketForm(keyList, msg) {
  const form = h('form', { class: 'inline', id: 'bucket-create', onsubmit: async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    try {
      await api('POST', '/console/api/buckets', { name: f.get('name'), versioning: f.get('versioning') === 'on',
        objectLock: f.get('objectLock') === 'on', encryption: encryptionOf(f) });
      status(`Bucket ${f.get('name')} created.`);
      buckets();
    } catch (e) { msg.replaceChildren(errorBox(e)); }
  } },
  h('label', {}, 'Name', h('input', { name: 'name', id: 'bucket-name', required: true, pattern: '[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]', spellcheck: 'false' })),
  h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'versioning', id: 'bucket-versioning' }), 'Versioning'),
  h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'objectLock', id: 'bucket-lock' }), 'Object Lock (turns versioning on for good)'),
  encryptionFields('bucket', keyList),
  h('button', { type: 'submit', class: 'primary', id: 'bucket-create-submit' }, 'Create bucket'));
  return form;
}

// bucketSettings edits a bucket's versioning and default encryption.
async function bucketSettings(bucket) {
  const show = view();
  const [s, keyList] = await Promise.all([api('GET', `/console/api/bucket?${q({ bucket })}`), kmsKeyOptions()]);
  const msg = h('div', { 'aria-live': 'polite', id: 'settings-msg' });
  const save = async (path, body, label) => {
    try { await api('PUT', `/console/api/bucket/${path}?${q({ bucket })}`, body); status(label); bucketSettings(bucket); } catch (e) { msg.replaceChildren(errorBox(e)); }
  };
  const vform = h('form', { class: 'inline', id: 'versioning-form', onsubmit: (ev) => {
    ev.preventDefault();
    save('versioning', { status: new FormData(vform).get('status') }, 'Versioning saved.');
  } }, h('label', {}, 'Versioning', h('select', { name: 'status', id: 'versioning-status' },
    ['Enabled', 'Suspended'].map((v) => h('option', { value: v, selected: s.versioning === v }, v)))),
  h('button', { type: 'submit', id: 'versioning-save' }, 'Save versioning'));
  const eform = h('form', { class: 'inline', id: 'encryption-form', onsubmit: (ev) => {
    ev.preventDefault();
    save('encryption', encryptionOf(new FormData(eform)), 'Default encryption saved.');
  } }, encryptionFields('settings', keyList, s.encryption || {}), h('button', { type: 'submit', id: 'encryption-save' }, 'Save default encryption'));
  const notes = Object.entries(s.notes || {});
  show(h('h1', {}, `Settings: ${bucket}`), crumbs(bucket, ''), msg,
    props([['Versioning', s.versioning || 'never enabled'],
      ['Default encryption', s.encryption ? `${s.encryption.type}${s.encryption.kmsKeyId ? ` ${s.encryption.kmsKeyId}` : ''}${s.encryption.bucketKey ? ' (bucket key)' : ''}` : 'none set (SSE-S3)'],
      ['Object Lock', s.objectLock ? (s.objectLock.enabled ? 'enabled' : 'not enabled (it can only be chosen when the bucket is created)') : '']]),
    h('h2', {}, 'Versioning'), s.objectLock && s.objectLock.enabled ? h('p', { class: 'muted' }, 'Object Lock keeps versioning enabled.') : vform,
    h('h2', {}, 'Default encryption'), h('p', { class: 'muted' }, 'Applies to new writes; existing objects keep their encryption (re-key them from the encryption posture).'), eform,
    notes.length ? h('div', {}, h('h2', {}, 'Not shown'), h('ul', {}, notes.map(([k, v]) => h('li', {}, `${k}: ${v}`)))) : null);
}

function crumbs(bucket, prefix) {
  const parts = prefix.split('/').filter(Boolean);
  const links = [h('a', { href: '#/' }, 'Buckets'), h('span', { 'aria-hidden': 'true' }, '/'),
    h('a', { href: `#/b/${encodeURIComponent(bucket)}/` }, bucket)];
  let acc = '';
  for (const p of parts) {
    acc += p + '/';
    links.push(h('span', { 'aria-hidden': 'true' }, '/'), h('a', { href: `#/b/${encodeURIComponent(bucket)}/${encodeURIComponent(acc)}` }, p));
  }
  return h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, links);
}

async function browse(bucket, prefix) {
  const show = view();
  const list = h('div');
  const up = uploadForm(bucket, prefix, () => browse(bucket, prefix));
  show(h('h1', {}, bucket), crumbs(bucket, prefix),
    h('p', {}, h('a', { href: `#/posture/${encodeURIComponent(bucket)}` }, 'Encryption posture of this bucket'), ' · ',
      h('a', { href: `#/settings/${encodeURIComponent(bucket)}` }, 'Versioning and default encryption')),
    up, list);
  await loadPage(bucket, prefix, '', list);
}

async function loadPage(bucket, prefix, after, into) {
  const res = await api('GET', `/console/api/objects?${q({ bucket, prefix, after })}`);
  const rows = [
    ...res.prefixes.map((p) => h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `#/b/${encodeURIComponent(bucket)}/${encodeURIComponent(p)}` }, p.slice(prefix.length))),
      h('td', { colspan: 5, class: 'muted' }, 'folder'))),
    ...res.objects.map((o) => h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `#/o/${encodeURIComponent(bucket)}/${encodeURIComponent(o.key)}` }, o.key.slice(prefix.length))),
      h('td', { class: 'num' }, bytes(o.size)), h('td', {}, when(o.lastModified)), h('td', {}, o.storageClass),
      h('td', {}, enc(o.encryption)),
      h('td', {}, h('a', { class: 'button', href: `/console/api/download?${q({ bucket, key: o.key })}`, download: '', 'aria-label': `Download ${o.key}` }, 'Download'), ' ',
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${o.key}`, onclick: async () => {
          if (!confirm(`Delete ${o.key}?`)) return;
          try { await api('DELETE', `/console/api/object?${q({ bucket, key: o.key })}`); status(`Deleted ${o.key}.`); browse(bucket, prefix); } catch (e) { status(e.message); }
        } }, 'Delete'))))];
  if (!into.querySelector('table')) {
    into.append(h('table', { id: 'objects' }, h('caption', { class: 'muted' }, 'Objects'),
      h('thead', {}, h('tr', {}, ['Name', 'Size', 'Last modified', 'Storage class', 'Encryption', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody')));
  }
  into.querySelector('tbody').append(...rows);
  if (!rows.length && !after) into.querySelector('tbody').append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'Nothing here yet.')));
  into.querySelector('.more')?.remove();
  if (res.next) {
    into.append(h('button', { type: 'button', class: 'more', onclick: () => loadPage(bucket, prefix, res.next, into) }, 'Load more'));
  }
}

function uploadForm(bucket, prefix, done) {
  const bar = h('progress', { max: 100, value: 0, hidden: true, id: 'upload-progress', 'aria-label': 'Upload progress' });
  const msg = h('span', { 'aria-live': 'polite', id: 'upload-status' });
  const input = h('input', { type: 'file', id: 'upload-file', multiple: true });
  const form = h('form', { class: 'inline', onsubmit: async (ev) => {
    ev.preventDefault();
    bar.hidden = false;
    try {
      for (const f of input.files) {
        await uploadFile(bucket, prefix + f.name, f, (p) => { bar.value = Math.round(p * 100); msg.textContent = `${f.name}: ${Math.round(p * 100)}%`; });
        msg.textContent = `Uploaded ${f.name}.`;
      }
      status(msg.textContent);
      done();
    } catch (e) { msg.textContent = e.message; msg.className = 'bad'; }
  } }, h('label', { for: 'upload-file' }, `Upload to ${bucket}/${prefix}`, input), h('button', { type: 'submit', class: 'primary', id: 'upload' }, 'Upload'), bar, msg);
  return form;
}

// send PUTs a blob with XMLHttpRequest, for its upload progress events.
function send(method, url, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open(method, url);
    x.setRequestHeader('X-Kura-Csrf', state.me.csrf);
    if (blob.type) x.setRequestHeader('Content-Type', blob.type);
    x.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded);
    x.onload = () => (x.status < 300 ? resolve(JSON.parse(x.responseText)) : reject(parseError(x.status, x.responseText)));
    x.onerror = () => reject(new Error('The upload failed: the connection was lost.'));
    x.send(blob);
  });
}

async function uploadFile(bucket, key, file, progress) {
  if (file.size <= PART) {
    return send('PUT', `/console/api/object?${q({ bucket, key })}`, file, (n) => progress(n / Math.max(file.size, 1)));
  }
  const { uploadId } = await api('POST', `/console/api/uploads?${q({ bucket, key, contentType: file.type })}`);
  const parts = [];
  try {
    for (let off = 0, n = 1; off < file.size; off += PART, n++) {
      const chunk = file.slice(off, off + PART);
      const r = await send('PUT', `/console/api/uploads/part?${q({ bucket, key, uploadId, part: n })}`, chunk,
        (sent) => progress((off + sent) / file.size));
      parts.push({ part: n, etag: r.etag });
    }
    return await api('POST', `/console/api/uploads/complete?${q({ bucket, key, uploadId })}`, { parts });
  } catch (e) {
    api('DELETE', `/console/api/uploads?${q({ bucket, key, uploadId })}`).catch(() => {});
    throw e;
  }
}

function props(pairs) {
  return h('dl', { class: 'props' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

async function objectView(bucket, key) {
  const show = view();
  const d = await api('GET', `/console/api/object?${q({ bucket, key })}`);
  const o = d.object;
  const notes = Object.entries(d.notes || {});
  const prefix = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  show(h('h1', {}, key), crumbs(bucket, prefix),
    h('p', {}, h('a', { class: 'button', href: `/console/api/download?${q({ bucket, key })}`, download: '' }, 'Download')),
    h('h2', {}, 'Properties'),
    props([['Size', `${bytes(o.size)} (${o.size} bytes)`], ['Last modified', when(o.lastModified)], ['ETag', o.etag],
      ['Version', o.versionId], ['Storage class', o.storageClass], ['Content type', d.contentType],
      ['Encryption', o.encryption.type], ['KMS key', o.encryption.kmsKeyArn && h('span', { class: 'mono' }, o.encryption.kmsKeyArn)],
      ['Bucket key', o.encryption.type === 'SSE-KMS' ? (o.encryption.bucketKey ? 'enabled' : 'disabled') : ''],
      ['Checksum', d.checksum && `${d.checksum.algorithm} (${d.checksum.type})`],
      ['Object Lock retention', d.retention && d.retention.mode ? `${d.retention.mode} until ${when(d.retention.until)}` : 'none'],
      ['Legal hold', d.legalHold === undefined ? '' : (d.legalHold ? 'ON' : 'OFF')],
      ['Restore', d.restore ? (d.restore.ongoing ? 'in progress' : `restored until ${when(d.restore.expiry)}`) : '']]),
    h('h2', {}, 'Tags'),
    d.tags && d.tags.length ? h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Value'))),
      h('tbody', {}, d.tags.map((t) => h('tr', {}, h('td', {}, t.Key), h('td', {}, t.Value))))) : h('p', { class: 'muted' }, 'No tags.'),
    d.tags ? tagForm(bucket, key, o.versionId, d.tags) : null,
    d.lockEnabled ? lockForms(bucket, key, o.versionId, d) : null,
    h('h2', {}, 'Storage class'), classForm(bucket, key, o),
    ['GLACIER', 'DEEP_ARCHIVE'].includes(o.storageClass) ? restoreForm(bucket, key, o.versionId) : null,
    h('h2', {}, 'User metadata'),
    d.metadata && Object.keys(d.metadata).length ? props(Object.entries(d.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])) : h('p', { class: 'muted' }, 'None.'),
    metadataForm(bucket, key, o, d),
    h('h2', {}, 'Versions'),
    d.versions ? h('table', { id: 'versions' }, h('thead', {}, h('tr', {}, ['Version', 'Latest', 'Size', 'Modified', 'Encryption', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, d.versions.map((v) => h('tr', {}, h('td', { class: 'mono' }, v.deleteMarker ? `${v.versionId} (delete marker)` : v.versionId),
        h('td', {}, v.isLatest ? 'yes' : ''), h('td', { class: 'num' }, bytes(v.size)), h('td', {}, when(v.lastModified)), h('td', {}, enc(v.encryption)),
        h('td', {}, v.deleteMarker ? null : h('a', { class: 'button', href: `/console/api/download?${q({ bucket, key, versionId: v.versionId })}`, download: '', 'aria-label': `Download version ${v.versionId}` }, 'Download'), ' ',
          h('button', { type: 'button', class: 'danger', 'aria-label': `Delete version ${v.versionId} for good`, onclick: async () => {
            if (!confirm(`Delete version ${v.versionId} of ${key} for good?`)) return;
            try { await api('DELETE', `/console/api/object?${q({ bucket, key, versionId: v.versionId })}`); status(`Deleted version ${v.versionId}.`); objectView(bucket, key); } catch (e) { status(e.message); }
          } }, 'Delete version')))))) : null,
    notes.length ? h('div', {}, h('h2', {}, 'Not shown'), h('ul', {}, notes.map(([k, v]) => h('li', {}, `${k}: ${v}`)))) : null);
}

// tagForm edits a version's tags as key=value lines (PutObjectTagging).
function tagForm(bucket, key, versionId, tags) {
  const msg = h('span', { 'aria-live': 'polite' });
  const area = h('textarea', { id: 'tags-edit', rows: 4, name: 'tags' }, tags.map((t) => `${t.Key}=${t.Value}`).join('\n'));
  const form = h('form', { onsubmit: async (ev) => {
    ev.preventDefault();
    const list = area.value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      const i = l.indexOf('=');
      return i < 0 ? { Key: l, Value: '' } : { Key: l.slice(0, i), Value: l.slice(i + 1) };
    });
    try {
      await api('PUT', `/console/api/tags?${q({ bucket, key, versionId })}`, { tags: list });
      status('Tags saved.');
      objectView(bucket, key);
    } catch (e) { msg.replaceChildren(errorBox(e)); }
  } }, h('label', { for: 'tags-edit' }, 'Edit tags (one key=value a line)', area), h('button', { type: 'submit', id: 'tags-save' }, 'Save tags'), msg);
  return form;
}

// copyNote says what a change made by a copy does.
const copyNote = (o) => h('p', { class: 'muted' }, `S3 changes this by copying the object onto itself: a new ${o.versionId && o.versionId !== 'null' ? 'version' : 'object'} sealed under a fresh data key with the same encryption (${enc(o.encryption)}); tags are kept, Object Lock retention is not.`);

// classForm changes the storage class (CopyObject onto itself).
function classForm(bucket, key, o) {
  const msg = h('span', { 'aria-live': 'polite' });
  const form = h('form', { class: 'inline', id: 'class-form', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', `/console/api/object/copy?${q({ bucket, key })}`, { storageClass: new FormData(form).get('class') });
      status('Storage class changed.');
      objectView(bucket, key);
    } catch (e) { msg.replaceChildren(errorBox(e)); }
  } }, h('label', {}, 'Storage class', h('select', { name: 'class', id: 'class-select' },
    ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'REDUCED_REDUNDANCY', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'].map((c) => h('option', { value: c, selected: c === o.storageClass }, c)))),
  h('button', { type: 'submit', id: 'class-save' }, 'Change storage class'), msg);
  return h('div', {}, o.encryption.type === 'SSE-C' ? h('p', { class: 'muted' }, 'An SSE-C object is copied with its key: use the aws CLI.') : [copyNote(o), form]);
}

// The content headers the metadata form edits: [field, label].
const contentHeaders = [['contentType', 'Content-Type'], ['cacheControl', 'Cache-Control'], ['contentDisposition', 'Content-Disposition'],
  ['contentEncoding', 'Content-Encoding'], ['contentLanguage', 'Content-Language'], ['expires', 'Expires']];

// metadataForm replaces the content headers and the user metadata
// (CopyObject with REPLACE).
function metadataForm(bucket, key, o, d) {
  const msg = h('span', { 'aria-live': 'polite' });
  const area = h('textarea', { id: 'meta-edit', rows: 4, name: 'meta' }, Object.entries(d.metadata || {}).map(([k, v]) => `${k}=${v}`).join('\n'));
  const form = h('form', { id: 'meta-form', onsubmit: async (ev) => {
    ev.preventDefault();
    const metadata = {}, headers = {};
    for (const l of area.value.split('\n').map((x) => x.trim()).filter(Boolean)) {
      const i = l.indexOf('=');
      metadata[(i < 0 ? l : l.slice(0, i)).trim().toLowerCase()] = i < 0 ? '' : l.slice(i + 1).trim();
    }
    const f = new FormData(form);
    for (const [n] of contentHeaders) headers[n] = (f.get(n) || '').trim();
    try {
      await api('POST', `/console/api/object/copy?${q({ bucket, key })}`, { metadata, headers });
      status('Metadata saved.');
      objectView(bucket, key);
    } catch (e) { msg.replaceChildren(errorBox(e)); }
  } }, contentHeaders.map(([n, l]) => h('label', {}, l, h('input', { name: n, id: `meta-${n}`, value: d[n] || '' }))),
  h('label', { for: 'meta-edit' }, 'Edit user metadata (one name=value a line, without x-amz-meta-)', area),
  h('button', { type: 'submit', id: 'meta-save' }, 'Save metadata'), msg);
  return o.encryption.type === 'SSE-C' ? null : form;
}

// lockForms edit a version's Object Lock retention and legal hold.
function lockForms(bucket, key, versionId, d) {
  const msg = h('div', { 'aria-live': 'polite', id: 'lock-msg' });
  const put = async (path, body, label) => {
    try { await api('PUT', `/console/api/object/${path}?${q({ bucket, key, versionId })}`, body); status(label); objectView(bucket, key); } catch (e) { msg.replaceChildren(errorBox(e)); }
  };
  const r = d.retention || {};
  const until = r.until && !r.until.startsWith('0001') ? new Date(r.until).toISOString().slice(0, 16) : '';
  const rform = h('form', { class: 'inline', id: 'retention-form', onsubmit: (ev) => {
    ev.preventDefault();
    const f = new FormData(rform);
    const mode = f.get('mode');
    if (mode && !f.get('until')) { msg.replaceChildren(errorBox(new Error('Give the retain-until date.'))); return; }
    put('retention', { mode, until: mode ? new Date(f.get('until')).toISOString() : undefined, bypassGovernance: f.get('bypass') === 'on' },
      mode ? 'Retention saved.' : 'Retention removed.');
  } },
  h('label', {}, 'Retention mode', h('select', { name: 'mode', id: 'retention-mode' },
    [['', 'none'], ['GOVERNANCE', 'GOVERNANCE'], ['COMPLIANCE', 'COMPLIANCE']].map(([v, l]) => h('option', { value: v, selected: (r.mode || '') === v }, l)))),
  h('label', {}, 'Retain until', h('input', { type: 'datetime-local', name: 'until', id: 'retention-until', value: until })),
  h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'bypass', id: 'retention-bypass' }), 'Bypass governance (to shorten or remove)'),
  h('button', { type: 'submit', id: 'retention-save' }, 'Save retention'));
  const hold = !!d.legalHold;
  return h('section', { 'aria-label': 'Object Lock' }, h('h2', {}, 'Object Lock'), msg, rform,
    h('p', {}, `Legal hold: ${hold ? 'ON' : 'OFF'} `, h('button', { type: 'button', id: 'legalhold-toggle',
      onclick: () => put('legalhold', { on: !hold }, hold ? 'Legal hold removed.' : 'Legal hold placed.') }, hold ? 'Remove legal hold' : 'Place legal hold')));
}

// restoreForm asks for a temporary copy of an archived object.
function restoreForm(bucket, key, versionId) {
  const msg = h('span', { 'aria-live': 'polite' });
  const form = h('form', { class: 'inline', onsubmit: async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    try {
      const r = await api('POST', `/console/api/restore?${q({ bucket, key, versionId })}`, { days: Number(f.get('days')), tier: f.get('tier') });
      msg.replaceChildren(r.started ? 'Restore started.' : 'The restored copy\'s expiry was moved.');
    } catch (e) { msg.replaceChildren(errorBox(e)); }
  } }, h('label', {}, 'Restore for (days)', h('input', { type: 'number', name: 'days', min: 1, value: 7, required: true })),
  h('label', {}, 'Tier', h('select', { name: 'tier' }, ['Standard', 'Bulk', 'Expedited'].map((t) => h('option', { value: t }, t)))),
  h('button', { type: 'submit' }, 'Restore'), msg);
  return h('section', { 'aria-label': 'Restore' }, h('h2', {}, 'Restore from the archive'), form);
}

// --- encryption posture ----------------------------------------------------

const COLORS = { 'SSE-S3': '#8c959f', 'SSE-KMS': '#0b5cad', 'DSSE-KMS': '#6f42c1', 'SSE-C': '#9a6700', none: '#b42318' };

async function posture(bucket) {
  const show = view();
  const p = await api('GET', `/console/api/posture?${q({ bucket })}`);
  const matched = p.objects - p.mismatched;
  const form = await rekeyForm(bucket);
  show(h('h1', {}, `Encryption posture: ${bucket}`), crumbs(bucket, ''),
    h('div', { class: 'cards', id: 'posture-cards' },
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Objects'), h('div', { class: 'big', id: 'posture-objects' }, p.objects), bytes(p.bytes)),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Bucket default'), h('div', { class: 'big' }, p.default.type), p.default.kmsKeyArn ? shortKey(p.default.kmsKeyArn) : ''),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Match the default'), h('div', { class: 'big ok', id: 'posture-matched' }, matched)),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Do not match'), h('div', { class: `big ${p.mismatched ? 'bad' : 'ok'}`, id: 'posture-mismatched' }, p.mismatched))),
    p.objects ? h('div', { class: 'bar', role: 'img', 'aria-label': p.groups.map((g) => `${enc(g)}: ${g.objects}`).join(', ') },
      p.groups.map((g) => h('span', { title: `${enc(g)}: ${g.objects}`, style: null, 'data-w': g.objects / p.objects, 'data-c': COLORS[g.type] }))) : null,
    h('table', { id: 'posture-groups' }, h('caption', { class: 'muted' }, 'Current object versions by encryption'),
      h('thead', {}, h('tr', {}, ['Encryption', 'KMS key', 'Bucket key', 'Objects', 'Bytes', 'Matches default'].map((t) => h('th', { scope: 'col', class: t === 'Objects' || t === 'Bytes' ? 'num' : null }, t)))),
      h('tbody', {}, p.groups.map((g) => h('tr', {}, h('td', {}, g.type), h('td', { class: 'mono' }, g.kmsKeyArn || ''),
        h('td', {}, g.type === 'SSE-KMS' ? (g.bucketKey ? 'yes' : 'no') : ''), h('td', { class: 'num' }, g.objects), h('td', { class: 'num' }, bytes(g.bytes)),
        h('td', { class: g.matchesDefault ? 'ok' : 'bad' }, g.matchesDefault ? 'yes' : 'no'))))),
    p.truncated ? h('p', { class: 'error' }, 'Only the first million objects were read.') : null,
    p.samples.length ? h('details', {}, h('summary', {}, `Objects not matching the default (first ${p.samples.length})`),
      h('ul', {}, p.samples.map((k) => h('li', {}, h('a', { href: `#/o/${encodeURIComponent(bucket)}/${encodeURIComponent(k)}` }, k))))) : null,
    h('h2', {}, 'Re-key these to a KMS key'), form);
  // Widths and colours are set through the CSSOM (the CSP allows no inline style attributes).
  for (const s of document.querySelectorAll('.bar span')) { s.style.width = `${s.dataset.w * 100}%`; s.style.background = s.dataset.c; }
}

async function rekeyForm(bucket) {
  const out = h('div', { 'aria-live': 'polite', id: 'rekey-result' });
  let roles = [], bucketsList = [];
  const keyList = await kmsKeyOptions();
  if (!keyList.length) out.append(h('p', { class: 'muted' }, 'No KMS keys could be listed (none exist, or kms:ListKeys is not allowed).'));
  try {
    const x = await iam({ Action: 'ListRoles' });
    roles = [...x.getElementsByTagName('member')].map((m) => xmlText(m, 'Arn')).filter(Boolean);
  } catch (_) { /* the role may be typed */ }
  try { bucketsList = (await api('GET', '/console/api/buckets')).buckets.map((b) => b.name); } catch (_) { /* optional */ }
  const form = h('form', { class: 'inline', id: 'rekey-form' },
    h('label', {}, 'Target KMS key', h('select', { name: 'key', id: 'rekey-key', required: true }, keyList.map((k) => h('option', { value: k.arn }, k.label)))),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'bucketKey', id: 'rekey-bucketkey', checked: true }), 'S3 Bucket Key'),
    h('label', {}, 'Job role (Batch Operations assumes it)', h('input', { name: 'role', id: 'rekey-role', list: 'rekey-roles', size: 45, required: true, value: roles[0] || '' })),
    h('datalist', { id: 'rekey-roles' }, roles.map((r) => h('option', { value: r }))),
    h('label', {}, 'Completion report bucket', h('select', { name: 'report', id: 'rekey-report' }, h('option', { value: '' }, '(no report)'), bucketsList.map((b) => h('option', { value: b }, b)))),
    h('button', { type: 'button', id: 'rekey-dryrun', onclick: () => submit(true) }, 'Dry run'),
    h('button', { type: 'button', class: 'primary', id: 'rekey-create', onclick: () => submit(false) }, 'Create re-key job'));
  async function submit(dryRun) {
    if (!form.reportValidity()) return;
    const f = new FormData(form);
    try {
      const r = await api('POST', '/console/api/rekey', { bucket, kmsKeyArn: f.get('key'), bucketKey: f.get('bucketKey') === 'on',
        roleArn: f.get('role'), reportBucket: f.get('report'), dryRun });
      out.replaceChildren(h('p', {}, dryRun ? `Dry-run job ${r.jobId} created for about ${r.expected} object(s): it changes nothing and reports what it would do. ` :
        `Job ${r.jobId} created for about ${r.expected} object(s); it waits for your confirmation. `, h('a', { href: '#/jobs' }, 'Open Batch jobs')));
    } catch (e) { out.replaceChildren(errorBox(e)); }
  }
  return h('div', {}, h('p', { class: 'muted' }, 'Creates a Batch Operations job (UpdateObjectEncryption) over the objects whose encryption differs from the key chosen; SSE-C objects are left out (their key is the customer\'s). Run a dry run first.'), form, out);
}

// --- replication -------------------------------------------------------------

async function replicationView(bucket) {
  const show = view();
  const r = await api('GET', `/console/api/replication?${q({ bucket })}`);
  show(h('h1', {}, `Replication: ${bucket}`), crumbs(bucket, ''),
    r.rules.length === 0 ? h('p', {}, 'This bucket has no replication configuration (aws s3api put-bucket-replication sets one).') : [
      h('p', {}, 'Role: ', h('span', { class: 'mono' }, r.role)),
      h('table', { id: 'replication' }, h('thead', {}, h('tr', {}, ['Rule', 'Status', 'Priority', 'Prefix', 'Destination', 'Pending', 'Completed', 'Failed', 'Mean latency'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, r.rules.map((x) => h('tr', {}, h('td', {}, x.id), h('td', {}, x.status), h('td', { class: 'num' }, x.priority), h('td', { class: 'mono' }, x.prefix),
          h('td', { class: 'mono' }, x.destination, x.replicaKmsKeyId ? h('div', { class: 'muted' }, `replicas under ${x.replicaKmsKeyId}`) : null),
          h('td', { class: 'num' }, `${x.pendingOps} (${bytes(x.pendingBytes)})`), h('td', { class: 'num' }, x.completed),
          h('td', { class: `num ${x.failed ? 'bad' : ''}` }, x.failed, x.failures ? h('div', { class: 'muted' }, Object.entries(x.failures).map(([k, v]) => `${k}: ${v}`).join(', ')) : null),
          h('td', { class: 'num' }, x.completed ? `${x.meanLatencySeconds.toFixed(2)} s` : '')))))]);
}

// --- batch jobs ------------------------------------------------------------

async function jobs() {
  const show = view();
  state.timers.forEach(clearInterval); // a redraw after an action replaces the poller
  state.timers = [];
  const box = h('div', { id: 'jobs' });
  show(h('h1', {}, 'Batch Operations jobs'), box);
  const draw = async () => {
    let list;
    try { list = (await api('GET', '/console/api/jobs')).jobs; } catch (e) { box.replaceChildren(errorBox(e)); return; }
    list.sort((a, b) => b.created.localeCompare(a.created));
    const now = JSON.stringify(list);
    if (now === last) return;
    last = now;
    // A redraw must not take the keyboard focus away: it goes back to the
    // control of the same name.
    const focused = box.contains(document.activeElement) ? document.activeElement.getAttribute('aria-label') : null;
    box.replaceChildren(list.length === 0 ? h('p', {}, 'No jobs yet. Create one from a bucket\'s encryption posture.') :
      h('table', {}, h('thead', {}, h('tr', {}, ['Job', 'Description', 'Status', 'Progress', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, list.map(jobRow))));
    if (focused) box.querySelector(`[aria-label="${CSS.escape(focused)}"]`)?.focus();
    if (!list.some((j) => !['Complete', 'Cancelled', 'Failed'].includes(j.status))) stop();
  };
  let last = '';
  const t = setInterval(draw, 1000);
  const stop = () => clearInterval(t);
  state.timers.push(t);
  await draw();
}

function jobRow(j) {
  const done = j.succeeded + j.failed;
  const act = async (to) => {
    try { await api('POST', `/console/api/jobs/${j.id}/status`, { status: to }); status(`Job ${j.id}: ${to === 'Ready' ? 'confirmed' : 'cancel asked'}.`); jobs(); } catch (e) { status(e.message); }
  };
  const terminal = ['Complete', 'Cancelled', 'Failed'].includes(j.status);
  return h('tr', { 'data-job': j.id },
    h('td', { class: 'mono' }, j.id, j.dryRun ? h('div', { class: 'muted' }, 'dry run') : null),
    h('td', {}, j.description, h('div', { class: 'muted' }, j.operation)),
    h('td', { class: 'job-status' }, j.status, j.reason ? h('div', { class: 'muted' }, j.reason) : null,
      j.failures ? h('div', { class: 'bad' }, j.failures.join('; ')) : null),
    h('td', {}, h('progress', { max: Math.max(j.total, 1), value: done, 'aria-label': `Job ${j.id} progress` }),
      h('div', { class: 'muted' }, `${j.succeeded} succeeded, ${j.failed} failed of ${j.totalKnown ? j.total : `${j.total}+`}`)),
    h('td', {},
      j.status === 'Suspended' ? h('button', { type: 'button', class: 'primary', onclick: () => act('Ready'), 'aria-label': `Confirm job ${j.id}` }, 'Confirm') : null, ' ',
      !terminal ? h('button', { type: 'button', class: 'danger', onclick: () => act('Cancelled'), 'aria-label': `Cancel job ${j.id}` }, 'Cancel') : null,
      j.reportKey ? h('a', { href: `/console/api/download?${q({ bucket: j.reportBucket, key: j.reportKey })}`, download: '', 'aria-label': `Completion report of job ${j.id}` }, 'Completion report') : null));
}

// --- KMS keys ----------------------------------------------------------------

async function keys() {
  const show = view();
  const [k, a] = await Promise.all([kms('ListKeys'), kms('ListAliases')]);
  const aliases = {};
  for (const x of a.Aliases || []) if (x.TargetKeyId) (aliases[x.TargetKeyId] ||= []).push(x.AliasName);
  const metas = await Promise.all((k.Keys || []).map(async (x) => {
    try {
      const d = (await kms('DescribeKey', { KeyId: x.KeyId })).KeyMetadata;
      try { d.rotation = (await kms('GetKeyRotationStatus', { KeyId: x.KeyId })).KeyRotationEnabled; } catch (_) { d.rotation = null; }
      return d;
    } catch (e) { return { KeyId: x.KeyId, error: e.message }; }
  }));
  const msg = h('div', { 'aria-live': 'polite' });
  const run = async (label, op, body) => {
    try { await kms(op, body); status(label); await keys(); } catch (e) { msg.replaceChildren(errorBox(e)); }
  };
  const create = h('form', { class: 'inline', onsubmit: async (ev) => {
    ev.preventDefault();
    const f = new FormData(create);
    try {
      const r = await kms('CreateKey', { Description: f.get('desc') });
      if (f.get('alias')) await kms('CreateAlias', { AliasName: `alias/${f.get('alias')}`, TargetKeyId: r.KeyMetadata.KeyId });
      status(`Key ${r.KeyMetadata.KeyId} created.`);
      await keys();
    } catch (e) { msg.replaceChildren(errorBox(e)); }
  } }, h('label', {}, 'Description', h('input', { name: 'desc', id: 'key-desc' })),
  h('label', {}, 'Alias (alias/…)', h('input', { name: 'alias', id: 'key-alias', pattern: '[a-zA-Z0-9/_-]+' })),
  h('button', { type: 'submit', class: 'primary', id: 'key-create' }, 'Create key'));
  const usage = h('div', { id: 'key-usage', 'aria-live': 'polite' });
  const findUsage = h('button', { type: 'button', id: 'key-usage-find', onclick: async () => {
    findUsage.disabled = true;
    usage.replaceChildren(h('p', { class: 'muted' }, 'Reading every bucket\'s posture…'));
    try { usage.replaceChildren(await keyUsage(metas)); } catch (e) { usage.replaceChildren(errorBox(e)); }
    findUsage.disabled = false;
  } }, 'Find where each key is used');
  show(h('h1', {}, 'KMS keys'), create, msg,
    h('table', { id: 'keys' }, h('thead', {}, h('tr', {}, ['Key', 'Aliases', 'State', 'Rotation', 'Created', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, metas.map((m) => h('tr', { 'data-key': m.KeyId },
        h('td', { class: 'mono' }, m.KeyId, m.Description ? h('div', { class: 'muted' }, m.Description) : null),
        h('td', {}, (aliases[m.KeyId] || []).join(', ')),
        h('td', {}, m.error || m.KeyState, m.DeletionDate ? h('div', { class: 'muted' }, `deletion ${new Date(m.DeletionDate * 1000).toLocaleDateString()}`) : null),
        h('td', { class: 'rotation' }, m.rotation === null ? '' : (m.rotation ? 'on' : 'off')),
        h('td', {}, m.CreationDate ? new Date(m.CreationDate * 1000).toLocaleString() : ''),
        h('td', {}, m.KeyManager === 'AWS' || m.error ? '' : [
          m.KeyState === 'Enabled' ? h('button', { type: 'button', 'data-action': 'disable', 'aria-label': `Disable key ${m.KeyId}`, onclick: () => run('Key disabled.', 'DisableKey', { KeyId: m.KeyId }) }, 'Disable') : null,
          m.KeyState === 'Disabled' ? h('button', { type: 'button', 'data-action': 'enable', 'aria-label': `Enable key ${m.KeyId}`, onclick: () => run('Key enabled.', 'EnableKey', { KeyId: m.KeyId }) }, 'Enable') : null,
          m.KeyState === 'Enabled' ? h('button', { type: 'button', 'data-action': 'rotate-now', 'aria-label': `Rotate key ${m.KeyId} now`, onclick: () => run('Rotated.', 'RotateKeyOnDemand', { KeyId: m.KeyId }) }, 'Rotate now') : null,
          m.KeyState === 'Enabled' && m.rotation === false ? h('button', { type: 'button', 'data-action': 'rotate-yearly', 'aria-label': `Rotate key ${m.KeyId} yearly`, onclick: () => run('Yearly rotation on.', 'EnableKeyRotation', { KeyId: m.KeyId }) }, 'Rotate yearly') : null,
          m.KeyState === 'PendingDeletion' ? h('button', { type: 'button', 'data-action': 'cancel-deletion', 'aria-label': `Cancel the deletion of key ${m.KeyId}`, onclick: () => run('Deletion cancelled.', 'CancelKeyDeletion', { KeyId: m.KeyId }) }, 'Cancel deletion') :
            h('button', { type: 'button', class: 'danger', 'data-action': 'schedule-deletion', 'aria-label': `Schedule the deletion of key ${m.KeyId}`, onclick: () => confirm(`Schedule deletion of ${m.KeyId} in 7 days? Objects under it become unreadable once it is deleted.`) &&
              run('Deletion scheduled.', 'ScheduleKeyDeletion', { KeyId: m.KeyId, PendingWindowInDays: 7 }) }, 'Schedule deletion'),
          h('button', { type: 'button', 'data-action': 'add-alias', 'aria-label': `Add an alias to key ${m.KeyId}`, onclick: () => { const n = prompt('Alias name (alias/…)', 'alias/'); if (n) run('Alias created.', 'CreateAlias', { AliasName: n, TargetKeyId: m.KeyId }); } }, 'Add alias'),
        ].map((b) => [b, ' '])))))), h('h2', {}, 'Where the keys are used'), findUsage, usage);
}

// keyUsage reads the posture of every bucket the principal may list and
// tells, per key, the buckets whose objects or default encryption use it.
async function keyUsage(metas) {
  const { buckets: list } = await api('GET', '/console/api/buckets');
  const use = {}; // key ARN → [{bucket, objects, bytes, isDefault}]
  const skipped = [];
  for (const b of list) {
    let p;
    try { p = await api('GET', `/console/api/posture?${q({ bucket: b.name })}`); } catch (e) { skipped.push(`${b.name} (${e.message})`); continue; }
    const per = {};
    for (const g of p.groups) {
      if (!g.kmsKeyArn) continue;
      const u = (per[g.kmsKeyArn] ||= { bucket: b.name, objects: 0, bytes: 0, isDefault: false });
      u.objects += g.objects; u.bytes += g.bytes;
    }
    if (p.default.kmsKeyArn) (per[p.default.kmsKeyArn] ||= { bucket: b.name, objects: 0, bytes: 0 }).isDefault = true;
    for (const [arn, u] of Object.entries(per)) (use[arn] ||= []).push(u);
  }
  const rows = metas.filter((m) => m.Arn).map((m) => h('tr', {}, h('td', { class: 'mono' }, m.KeyId),
    h('td', {}, (use[m.Arn] || []).length === 0 ? h('span', { class: 'muted' }, 'not used by any bucket you can list') :
      h('ul', {}, use[m.Arn].map((u) => h('li', {}, h('a', { href: `#/posture/${encodeURIComponent(u.bucket)}` }, u.bucket),
        `: ${u.objects} object(s), ${bytes(u.bytes)}${u.isDefault ? ' — the bucket default' : ''}`))))));
  return h('div', {}, h('table', { id: 'key-usage-table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Used by'))), h('tbody', {}, rows)),
    skipped.length ? h('p', { class: 'muted' }, `Not read: ${skipped.join(', ')}`) : null);
}

// --- audit -----------------------------------------------------------------

async function auditView(params) {
  const show = view();
  const fields = [['principal', 'Principal (ARN, user or key)'], ['action', 'Action (event name)'], ['bucket', 'Bucket'], ['key', 'Key prefix'], ['kmsKey', 'KMS key']];
  const form = h('form', { class: 'inline', id: 'audit-form', onsubmit: (ev) => {
    ev.preventDefault();
    const f = new FormData(form), out = {};
    for (const [k, v] of f) if (v) out[k] = k === 'since' || k === 'until' ? new Date(v).toISOString().replace(/\.\d+Z$/, 'Z') : v;
    location.hash = `#/audit?${q(out)}`;
  } },
  fields.map(([n, l]) => h('label', {}, l, h('input', { name: n, id: `audit-${n}`, value: params.get(n) || '' }))),
  h('label', {}, 'Result', h('select', { name: 'result', id: 'audit-result' }, ['', 'success', 'error'].map((v) => h('option', { value: v, selected: params.get('result') === v }, v || 'any')))),
  h('label', {}, 'Since', h('input', { type: 'datetime-local', name: 'since', id: 'audit-since' })),
  h('label', {}, 'Until', h('input', { type: 'datetime-local', name: 'until', id: 'audit-until' })),
  h('button', { type: 'submit', class: 'primary', id: 'audit-search' }, 'Search'));
  const { events } = await api('GET', `/console/api/audit?${params.toString()}`);
  show(h('h1', {}, 'Audit trail'), form,
    h('table', { id: 'audit' }, h('caption', { class: 'muted' }, `${events.length} event(s), newest first`),
      h('thead', {}, h('tr', {}, ['Time', 'Principal', 'Action', 'Resource', 'Result', 'Source'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, events.map((e) => {
        const rp = e.requestParameters || {};
        const res = rp.bucketName ? `${rp.bucketName}${rp.key ? `/${rp.key}` : ''}` : (e.resources || []).map((r) => r.ARN).join(' ');
        return h('tr', {}, h('td', {}, when(e.eventTime)),
          h('td', { class: 'mono' }, e.userIdentity.arn || e.userIdentity.type, e.userIdentity.invokedBy ? h('div', { class: 'muted' }, `via ${e.userIdentity.invokedBy}`) : null),
          h('td', {}, e.eventName, h('div', { class: 'muted' }, e.eventSource)),
          h('td', { class: 'mono' }, res),
          h('td', { class: e.errorCode ? 'bad' : 'ok' }, e.errorCode || 'success'),
          h('td', {}, e.sourceIPAddress || '', h('details', {}, h('summary', {}, 'Event'), h('pre', {}, JSON.stringify(e, null, 2)))));
      }))));
}

// --- IAM -------------------------------------------------------------------

async function iamView() {
  const show = view();
  const msg = h('div', { 'aria-live': 'polite', id: 'iam-msg' });
  const detail = h('div', { id: 'iam-detail' });
  const sections = [];
  const call = async (params, label) => {
    try { await iam(params); status(label); return true; } catch (e) { msg.replaceChildren(errorBox(e)); return false; }
  };
  const listOf = async (action, tag, cols) => {
    try {
      const x = await iam({ Action: action, ...(action === 'ListPolicies' ? { Scope: 'Local' } : {}) });
      const items = [...x.getElementsByTagName('member')].filter((m) => xmlText(m, 'Arn'));
      if (items.length === 0) return h('p', { class: 'muted' }, 'None.');
      return h('table', { id: `iam-${tag}s` }, h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)), tag === 'policy' ? null : h('th', { scope: 'col' }, 'Actions'))),
        h('tbody', {}, items.map((m) => {
          const name = xmlText(m, tag === 'user' ? 'UserName' : tag === 'role' ? 'RoleName' : 'PolicyName');
          return h('tr', { [`data-${tag}`]: name }, cols.map((c) => {
            if (c === 'Arn' && tag === 'policy') return h('td', { class: 'mono' }, h('a', { href: '#/iam', onclick: (ev) => { ev.preventDefault(); editPolicy(xmlText(m, 'Arn'), xmlText(m, 'DefaultVersionId'), msg); } }, xmlText(m, 'Arn')));
            return h('td', { class: c === 'Arn' ? 'mono' : null }, xmlText(m, c));
          }), tag === 'policy' ? null : h('td', {},
            h('button', { type: 'button', 'aria-label': `Manage ${tag} ${name}`, onclick: () => principalPanel(tag, name, detail, msg) }, 'Keys and policies'), ' ',
            h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${tag} ${name}`, onclick: async () => {
              if (!confirm(`Delete ${tag} ${name}? IAM refuses while it has access keys or policies.`)) return;
              if (await call({ Action: tag === 'user' ? 'DeleteUser' : 'DeleteRole', [tag === 'user' ? 'UserName' : 'RoleName']: name }, `Deleted ${tag} ${name}.`)) iamView();
            } }, 'Delete')));
        })));
    } catch (e) { return errorBox(e); }
  };
  const newUser = h('form', { class: 'inline', id: 'user-create', onsubmit: async (ev) => {
    ev.preventDefault();
    const n = new FormData(newUser).get('name');
    if (await call({ Action: 'CreateUser', UserName: n }, `User ${n} created.`)) iamView();
  } }, h('label', {}, 'New user name', h('input', { name: 'name', id: 'user-name', required: true })), h('button', { type: 'submit', id: 'user-create-submit' }, 'Create user'));
  const trust = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Principal": {"Service": "batchoperations.s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]\n}';
  const newRole = h('form', { id: 'role-create', onsubmit: async (ev) => {
    ev.preventDefault();
    const f = new FormData(newRole);
    if (await call({ Action: 'CreateRole', RoleName: f.get('name'), AssumeRolePolicyDocument: f.get('trust') }, `Role ${f.get('name')} created.`)) iamView();
  } }, h('label', {}, 'New role name', h('input', { name: 'name', id: 'role-name', required: true })),
  h('label', {}, 'Trust policy (who may assume the role, JSON)', h('textarea', { name: 'trust', id: 'role-trust', rows: 6, required: true }, trust)),
  h('button', { type: 'submit', id: 'role-create-submit' }, 'Create role'));
  sections.push(h('h2', {}, 'Users'), await listOf('ListUsers', 'user', ['UserName', 'Arn', 'CreateDate']), newUser);
  sections.push(h('h2', {}, 'Roles'), await listOf('ListRoles', 'role', ['RoleName', 'Arn', 'CreateDate']), newRole);
  sections.push(h('h2', {}, 'Customer managed policies'), await listOf('ListPolicies', 'policy', ['PolicyName', 'Arn', 'DefaultVersionId', 'AttachmentCount']));
  const create = h('form', { id: 'policy-create', onsubmit: async (ev) => {
    ev.preventDefault();
    const f = new FormData(create);
    try { await iam({ Action: 'CreatePolicy', PolicyName: f.get('name'), PolicyDocument: f.get('doc') }); status('Policy created.'); iamView(); } catch (e) { msg.replaceChildren(errorBox(e)); }
  } }, h('label', {}, 'Policy name', h('input', { name: 'name', id: 'policy-name', required: true })),
  h('label', {}, 'Policy document (JSON)', h('textarea', { name: 'doc', id: 'policy-new-doc', rows: 8, required: true },
    '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}]\n}')),
  h('button', { type: 'submit', class: 'primary', id: 'policy-create-submit' }, 'Create policy'));
  show(h('h1', {}, 'IAM'), msg, detail, ...sections, h('h2', {}, 'New policy'), create);
}

const members = (x, list) => { const l = x.getElementsByTagName(list)[0]; return l ? [...l.children].filter((m) => m.tagName === 'member') : []; };

// principalPanel manages one user's or role's access keys (users only),
// managed policies and inline policies.
async function principalPanel(kind, name, into, msg) {
  const U = kind === 'user' ? 'User' : 'Role';
  const who = { [`${U}Name`]: name };
  const err = h('div', { 'aria-live': 'assertive', id: 'panel-msg' });
  const redraw = () => principalPanel(kind, name, into, msg);
  const act = async (params, label) => {
    try { const x = await iam({ ...params, ...who }); status(label); return x; } catch (e) { err.replaceChildren(errorBox(e)); return null; }
  };
  const parts = [h('h2', { id: 'panel-title' }, `${kind === 'user' ? 'User' : 'Role'} ${name}`), err];
  try {
    if (kind === 'role') {
      const r = await iam({ Action: 'GetRole', RoleName: name });
      let doc = decodeURIComponent(xmlText(r, 'AssumeRolePolicyDocument'));
      try { doc = JSON.stringify(JSON.parse(doc), null, 2); } catch (_) { /* as stored */ }
      // The trust policy, editable: IAM's validation error is shown as
      // it answers (MalformedPolicyDocument names what is wrong).
      const trust = h('form', { id: 'role-trust-form', onsubmit: async (ev) => {
        ev.preventDefault();
        if (await act({ Action: 'UpdateAssumeRolePolicy', PolicyDocument: new FormData(trust).get('doc') }, 'Trust policy saved.')) redraw();
      } }, h('label', {}, 'Who may assume the role (JSON)', h('textarea', { name: 'doc', id: 'role-trust-view', rows: 8, class: 'mono' }, doc)),
      h('button', { type: 'submit', id: 'role-trust-save' }, 'Save trust policy'));
      parts.push(h('h3', {}, 'Trust policy'), trust);
    }
    if (kind === 'user') {
      const k = await iam({ Action: 'ListAccessKeys', UserName: name });
      const keys = members(k, 'AccessKeyMetadata');
      const secret = h('div', { id: 'new-key', 'aria-live': 'assertive' });
      parts.push(h('h3', {}, 'Access keys'),
        keys.length ? h('table', { id: 'access-keys' }, h('thead', {}, h('tr', {}, ['Access key ID', 'Status', 'Created', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, keys.map((m) => h('tr', {}, h('td', { class: 'mono' }, xmlText(m, 'AccessKeyId')), h('td', {}, xmlText(m, 'Status')), h('td', {}, when(xmlText(m, 'CreateDate'))),
            h('td', {}, h('button', { type: 'button', 'aria-label': `${xmlText(m, 'Status') === 'Active' ? 'Deactivate' : 'Activate'} access key ${xmlText(m, 'AccessKeyId')}`, onclick: async () => {
              const to = xmlText(m, 'Status') === 'Active' ? 'Inactive' : 'Active';
              if (await act({ Action: 'UpdateAccessKey', AccessKeyId: xmlText(m, 'AccessKeyId'), Status: to }, `Access key ${to === 'Active' ? 'activated' : 'deactivated'}.`)) redraw();
            } }, xmlText(m, 'Status') === 'Active' ? 'Deactivate' : 'Activate'), ' ',
            h('button', { type: 'button', class: 'danger', 'aria-label': `Delete access key ${xmlText(m, 'AccessKeyId')}`, onclick: async () => {
              if (!confirm(`Delete access key ${xmlText(m, 'AccessKeyId')}? Programs using it stop working.`)) return;
              if (await act({ Action: 'DeleteAccessKey', AccessKeyId: xmlText(m, 'AccessKeyId') }, 'Access key deleted.')) redraw();
            } }, 'Delete')))))) : h('p', { class: 'muted' }, 'No access keys.'),
        h('button', { type: 'button', id: 'key-new', onclick: async () => {
          const x = await act({ Action: 'CreateAccessKey' }, 'Access key created.');
          if (!x) return;
          await redraw();
          // The secret is shown this once: IAM never tells it again.
          document.getElementById('new-key')?.replaceChildren(h('div', { class: 'card', role: 'alert' },
            h('p', {}, h('strong', {}, 'Save the secret access key now: it is not shown again.')),
            props([['Access key ID', h('span', { class: 'mono', id: 'new-key-id' }, xmlText(x, 'AccessKeyId'))],
              ['Secret access key', h('span', { class: 'mono', id: 'new-key-secret' }, xmlText(x, 'SecretAccessKey'))]]),
            h('button', { type: 'button', id: 'new-key-done', onclick: () => document.getElementById('new-key').replaceChildren() }, 'I have saved it')));
        } }, 'Create access key'), secret);
    }
    // Managed policies: attached ones, and the account's others to attach.
    const [att, all] = await Promise.all([iam({ Action: `ListAttached${U}Policies`, ...who }), iam({ Action: 'ListPolicies' }).catch(() => null)]);
    const attached = members(att, 'AttachedPolicies').map((m) => ({ name: xmlText(m, 'PolicyName'), arn: xmlText(m, 'PolicyArn') }));
    const options = all ? members(all, 'Policies').map((m) => xmlText(m, 'Arn')).filter((a) => !attached.some((p) => p.arn === a)) : [];
    const attach = h('form', { class: 'inline', id: 'attach-form', onsubmit: async (ev) => {
      ev.preventDefault();
      if (await act({ Action: `Attach${U}Policy`, PolicyArn: new FormData(attach).get('arn') }, 'Policy attached.')) redraw();
    } }, h('label', {}, 'Policy ARN', h('input', { name: 'arn', id: 'attach-arn', list: 'attach-arns', size: 50, required: true })),
    h('datalist', { id: 'attach-arns' }, options.map((a) => h('option', { value: a }))),
    h('button', { type: 'submit', id: 'attach-submit' }, 'Attach policy'));
    parts.push(h('h3', {}, 'Managed policies'),
      attached.length ? h('ul', { id: 'attached' }, attached.map((p) => h('li', {}, h('span', { class: 'mono' }, p.arn), ' ',
        h('button', { type: 'button', 'aria-label': `Detach ${p.name}`, onclick: async () => {
          if (await act({ Action: `Detach${U}Policy`, PolicyArn: p.arn }, 'Policy detached.')) redraw();
        } }, 'Detach')))) : h('p', { class: 'muted' }, 'None attached.'), attach);
    // Inline policies.
    const inl = await iam({ Action: `List${U}Policies`, ...who });
    const names = members(inl, 'PolicyNames').map((m) => m.textContent);
    const put = h('form', { id: 'inline-form', onsubmit: async (ev) => {
      ev.preventDefault();
      const f = new FormData(put);
      if (await act({ Action: `Put${U}Policy`, PolicyName: f.get('name'), PolicyDocument: f.get('doc') }, 'Inline policy saved.')) redraw();
    } }, h('label', {}, 'Inline policy name', h('input', { name: 'name', id: 'inline-name', required: true })),
    h('label', {}, 'Policy document (JSON)', h('textarea', { name: 'doc', id: 'inline-doc', rows: 6, required: true },
      '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket"}]\n}')),
    h('button', { type: 'submit', id: 'inline-submit' }, 'Save inline policy'));
    parts.push(h('h3', {}, 'Inline policies'),
      names.length ? h('ul', { id: 'inline' }, names.map((n) => h('li', {}, n, ' ',
        h('button', { type: 'button', 'aria-label': `Edit inline policy ${n}`, onclick: async () => {
          const x = await act({ Action: `Get${U}Policy`, PolicyName: n }, '');
          if (!x) return;
          let doc = decodeURIComponent(xmlText(x, 'PolicyDocument'));
          try { doc = JSON.stringify(JSON.parse(doc), null, 2); } catch (_) { /* as stored */ }
          put.querySelector('#inline-name').value = n;
          put.querySelector('#inline-doc').value = doc;
          put.querySelector('#inline-doc').focus();
        } }, 'Edit'), ' ',
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete inline policy ${n}`, onclick: async () => {
          if (await act({ Action: `Delete${U}Policy`, PolicyName: n }, 'Inline policy deleted.')) redraw();
        } }, 'Delete')))) : h('p', { class: 'muted' }, 'None.'), put);
  } catch (e) { parts.push(errorBox(e)); }
  parts.push(h('p', {}, h('button', { type: 'button', onclick: () => into.replaceChildren() }, 'Close')));
  into.replaceChildren(h('section', { 'aria-labelledby': 'panel-title', class: 'panel' }, parts));
  into.querySelector('h2').setAttribute('tabindex', '-1');
  into.querySelector('h2').focus();
}

async function editPolicy(arn, version, msg) {
  try {
    const x = await iam({ Action: 'GetPolicyVersion', PolicyArn: arn, VersionId: version });
    const doc = decodeURIComponent(xmlText(x, 'Document'));
    let pretty = doc;
    try { pretty = JSON.stringify(JSON.parse(doc), null, 2); } catch (_) { /* shown as stored */ }
    const area = h('textarea', { rows: 14, id: 'policy-doc', 'aria-label': `Policy document of ${arn}` }, pretty);
    const err = h('div', { 'aria-live': 'assertive' });
    msg.replaceChildren(h('section', { 'aria-label': 'Edit policy' }, h('h2', {}, `Edit ${arn}`), area, err,
      h('button', { type: 'button', class: 'primary', onclick: async () => {
        try {
          await iam({ Action: 'CreatePolicyVersion', PolicyArn: arn, PolicyDocument: area.value, SetAsDefault: 'true' });
          err.replaceChildren(h('p', { class: 'ok' }, 'Saved as the new default version.'));
        } catch (e) { err.replaceChildren(errorBox(e)); }
      } }, 'Save as new default version')));
    area.focus();
  } catch (e) { msg.replaceChildren(errorBox(e)); }
}

// --- start -----------------------------------------------------------------

state.signedOut = renderSignIn;
window.addEventListener('hashchange', route);
(async () => {
  try { state.me = await api('GET', '/console/api/me'); start(); } catch (_) { renderSignIn(); }
})();
