// stickyring web client: plain JS, no dependencies. Protocol: docs/protocol.md.
// Invariants: a message typed by the user sits in the persistent outbox (localStorage) until its
// ack arrives and is re-sent with the same client id after every reconnect or reload; each
// message renders once, keyed by (sender, client id); the inbox cursor only moves forward by one,
// a gap triggers `sync`.
// Transport: a WebSocket; when it cannot be used (two sessions in a row closed before their
// `welcome` while plain HTTP to the page's origin works, no WebSocket in the browser, or
// `?transport=poll`) the same session runs over HTTP
// long-poll (GET /api/poll from the cursor, POST /api/send with the same client ids). In long-poll
// mode a WebSocket is tried again every minute and taken back once it says `welcome`.
'use strict';

const MAX_KEEP = 200;            // messages kept per conversation in localStorage
const BACKOFF_BASE = 250;        // ms, full-jitter exponential backoff
const BACKOFF_MAX = 10000;
const PING_AFTER = 20000;        // ms of silence before an app-level ping
const DEAD_AFTER = 35000;        // ms of silence before the connection is given up
const TRANSIENT = new Set(['store_unavailable', 'rate_limited', 'draining']);
const POLL_WAIT = 25;            // s a long-poll waits for news (the node caps it: --max-poll-wait)
const WS_FAILURES_BEFORE_POLL = 2;
const WS_PROBE_EVERY = 60000;    // ms between WebSocket probes while in long-poll mode
const FORCE_POLL = new URLSearchParams(location.search).get('transport') === 'poll' || typeof WebSocket !== 'function';

const $ = (id) => document.getElementById(id);
const S = {
  user: null, token: null, ws: null, state: 'idle', node: null, ip: null,
  attempt: 0, cursor: 0, outbox: [], convs: new Map(), current: null,
  inflight: new Set(), syncRequested: false, lastFrame: 0, pingSent: false,
  reconnectTimer: null, reconnectAt: 0, lastClose: null,
  mode: FORCE_POLL ? 'poll' : 'ws', wsFailures: 0, pollAbort: null, probe: null,
};

// ---------------------------------------------------------------- storage
const key = (k) => 'sr.' + k + '.' + S.user;
function load(k, dflt) {
  try { const v = localStorage.getItem(key(k)); return v === null ? dflt : JSON.parse(v); } catch (e) { return dflt; }
}
function save(k, v) { localStorage.setItem(key(k), JSON.stringify(v)); }
function saveOutbox() { save('outbox', S.outbox); }
function saveMessages() {
  const out = {};
  for (const c of S.convs.values()) {
    out[c.id] = { kind: c.kind, title: c.title, members: c.members, reads: c.reads, msgs: [...c.msgs.values()].slice(-MAX_KEEP) };
  }
  save('convs', out);
}

function uuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---------------------------------------------------------------- conversations and messages
function conv(id, info) {
  let c = S.convs.get(id);
  if (!c) {
    const dm = id.startsWith('dm:');
    const others = dm ? id.slice(3).split(':').filter((u) => u !== S.user) : [];
    c = { id, kind: dm ? 'direct' : 'group', title: dm ? (others[0] || S.user) : id, members: dm ? id.slice(3).split(':') : [],
      msgs: new Map(), unread: 0, reads: {} };
    S.convs.set(id, c);
  }
  if (info) {
    if (info.title && c.kind === 'group') c.title = info.title;
    if (info.members) c.members = info.members;
    // A read mark only moves forward: a conversation list fetched before a receipt arrived must
    // not take the receipt back (a message shown as read would stay "acked" when its seq comes).
    if (info.reads) for (const [u, seq] of Object.entries(info.reads)) c.reads[u] = Math.max(c.reads[u] || 0, seq);
  }
  return c;
}
const msgKey = (from, id) => from + '/' + id;

function sortedMsgs(c) {
  // Stored messages by commit time, then seq (seq restarts if a failover lands on a node with
  // another store); unstored ones (queued, sent, failed) by the time they were typed, so a failed
  // message stays where it was written instead of sinking below later ones.
  const when = (m) => (m.seq ? m.ts : m.local) || 0;
  return [...c.msgs.values()].sort((a, b) => {
    if (a.seq && b.seq) return (a.ts - b.ts) || (a.seq - b.seq);
    return (when(a) - when(b)) || (a.seq ? -1 : b.seq ? 1 : 0);
  });
}

function upsert(m) {
  const c = conv(m.conv);
  const k = msgKey(m.from, m.id);
  const old = c.msgs.get(k);
  if (old) {
    // Own echo of a queued message, or a history/replay copy: merge, never a second row.
    old.seq = m.seq || old.seq; old.ts = m.ts || old.ts;
    if (old.from === S.user && m.seq && (old.state === 'queued' || old.state === 'sent')) old.state = 'acked';
    applyReads(c);
    return false;
  }
  c.msgs.set(k, { ...m, state: m.from === S.user ? (m.seq ? 'acked' : m.state) : undefined, local: m.local || Date.now() });
  applyReads(c);
  return true;
}

function applyReads(c) {
  for (const m of c.msgs.values()) {
    if (m.from !== S.user || !m.seq) continue;
    for (const [u, seq] of Object.entries(c.reads)) {
      if (u !== S.user && seq >= m.seq) m.state = 'read';
    }
  }
}

// ---------------------------------------------------------------- rendering
function fmtTime(ts) { return ts ? new Date(ts).toLocaleTimeString() : ''; }

function renderStatus() {
  const st = $('status');
  st.dataset.state = S.state;
  let text;
  if (S.state === 'connected' && S.mode === 'poll') text = 'connected · long-poll (WebSocket unavailable)';
  else if (S.state === 'connected') text = `connected · node ${S.node} · your IP as the node saw it: ${S.ip || '?'}`;
  else if (S.state === 'reconnecting') text = `reconnecting · last node ${S.node || '?'} · your IP ${S.ip || '?'}`;
  else if (S.state === 'connecting') text = 'connecting…';
  else text = 'not connected';
  st.textContent = text;
  const b = $('banner');
  if (S.state === 'reconnecting') {
    const secs = Math.max(0, (S.reconnectAt - Date.now()) / 1000).toFixed(1);
    b.hidden = false;
    b.textContent = `Offline${S.lastClose ? ` (close ${S.lastClose})` : ''}: reconnecting in ${secs} s. `
      + `${S.outbox.length} message(s) queued; they will be sent when the connection is back.`;
  } else {
    b.hidden = true;
  }
}

function renderConvs() {
  const ul = $('conversations');
  ul.textContent = '';
  const list = [...S.convs.values()].sort((a, b) => lastTs(b) - lastTs(a));
  for (const c of list) {
    const li = document.createElement('li');
    li.dataset.conv = c.id;
    li.className = c.id === S.current ? 'active' : '';
    const name = document.createElement('span');
    name.textContent = (c.kind === 'group' ? '# ' : '@ ') + c.title;
    li.append(name);
    if (c.unread) {
      const u = document.createElement('span');
      u.className = 'unread';
      u.textContent = c.unread;
      li.append(u);
    }
    li.onclick = () => openConv(c.id);
    ul.append(li);
  }
}
function lastTs(c) { let t = 0; for (const m of c.msgs.values()) t = Math.max(t, m.ts || m.local || 0); return t; }

function renderMessages() {
  const ol = $('messages');
  const c = S.current && S.convs.get(S.current);
  ol.textContent = '';
  $('compose').hidden = !c;
  if (!c) return;
  $('conv-title').textContent = (c.kind === 'group' ? '# ' : '@ ') + c.title + (c.kind === 'group' ? ` (${c.members.join(', ')})` : '');
  for (const m of sortedMsgs(c)) {
    const li = document.createElement('li');
    li.dataset.key = msgKey(m.from, m.id);
    li.dataset.id = m.id;
    if (m.from === S.user) li.className = 'mine';
    const body = document.createElement('div');
    body.className = 'body';
    body.textContent = m.body;
    const meta = document.createElement('div');
    meta.className = 'meta';
    const who = document.createElement('span');
    who.textContent = m.from;
    const when = document.createElement('span');
    when.textContent = fmtTime(m.ts || m.local) + (m.seq ? ` #${m.seq}` : '');
    meta.append(who, when);
    if (m.from === S.user) {
      const st = document.createElement('span');
      st.className = 'state';
      st.dataset.state = m.state;
      st.textContent = m.state;
      meta.append(st);
      if (String(m.state).startsWith('failed')) {
        li.classList.add('failed');
        meta.append(button('retry', () => retryMessage(c, m)), button('delete', () => deleteMessage(c, m)));
      }
    }
    li.append(body, meta);
    ol.append(li);
  }
  ol.scrollTop = ol.scrollHeight;
}

function button(text, onclick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'link ' + text;
  b.textContent = text;
  b.onclick = onclick;
  return b;
}

function render() { renderStatus(); renderConvs(); renderMessages(); }

// ---------------------------------------------------------------- HTTP
async function api(path, opts = {}) {
  const r = await fetch(path, { ...opts, headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + S.token } });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(j.message || ('HTTP ' + r.status));
  return j;
}

async function refreshConversations() {
  try {
    const j = await api('/api/conversations');
    for (const c of j.conversations) conv(c.id, c);
    renderConvs();
  } catch (e) { /* offline: the list is refreshed on the next welcome */ }
}

async function loadHistory(id) {
  try {
    const h = await api('/api/history?conv=' + encodeURIComponent(id) + '&limit=50');
    for (const m of h.messages) upsert(m);
    saveMessages();
    if (S.current === id) { renderMessages(); markRead(); }
  } catch (e) { /* offline or not a member yet */ }
}

// ---------------------------------------------------------------- WebSocket session
function setState(s) { S.state = s; renderStatus(); }

function wsUrl() { return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws'; }

function connect() {
  S.reconnectTimer = null;
  setState('connecting');
  S.inflight.clear();
  S.syncRequested = false;
  if (S.mode === 'poll') { pollLoop(); return; }
  let ws;
  try { ws = new WebSocket(wsUrl()); } catch (e) { S.mode = 'poll'; pollLoop(); return; }
  S.ws = ws;
  ws.welcomed = false;
  ws.onopen = () => {
    S.lastFrame = Date.now();
    ws.send(JSON.stringify({ t: 'hello', token: S.token, cursor: S.cursor }));
  };
  ws.onmessage = (ev) => { if (S.ws === ws) onFrame(JSON.parse(ev.data)); };
  ws.onclose = (ev) => { if (S.ws === ws) closed(ev.code, ev.reason, ws.welcomed); };
}

function closed(code, reason, welcomed) {
  S.ws = null;
  S.inflight.clear();
  for (const e of S.outbox) markState(e, 'queued');
  if (code === 1008) { logout('Session expired or refused: please log in again.'); return; }
  S.lastClose = code;
  if (S.mode === 'ws' && !welcomed && ++S.wsFailures >= WS_FAILURES_BEFORE_POLL) fallBackIfHttpWorks(code);
  // Full jitter: uniform in [0, min(max, base * 2^attempt)]; a 1012 carries the node's own hint.
  const hint = /retry-after-ms=(\d+)/.exec(reason || '');
  const ceiling = Math.min(BACKOFF_MAX, BACKOFF_BASE * 2 ** Math.min(S.attempt, 20));
  const delay = code === 1012 && hint ? Math.min(BACKOFF_MAX, +hint[1]) + Math.random() * BACKOFF_BASE : Math.random() * ceiling;
  S.attempt++;
  S.reconnectAt = Date.now() + delay;
  setState('reconnecting');
  renderMessages();
  S.reconnectTimer = setTimeout(connect, delay);
}

/**
 * The WebSocket closed before `welcome` again. If plain HTTP to the same origin answers, the
 * WebSocket itself is what is blocked (a proxy that refuses or cuts the upgrade): carry on over
 * long-poll at once. If HTTP fails too, the node (or the LB) is down: stay on WebSocket and keep
 * the backoff, so the session comes back with receipts and typing once a node answers.
 */
function fallBackIfHttpWorks(code) {
  fetch('favicon.svg', { cache: 'no-store' }).then((r) => {
    if (!r.ok || S.mode !== 'ws' || S.state !== 'reconnecting' || !S.reconnectTimer) return;
    console.info(`WebSocket closed ${S.wsFailures} times before welcome (last code ${code}) but HTTP works: using long-poll`);
    clearTimeout(S.reconnectTimer);
    S.mode = 'poll';
    S.attempt = 0;
    connect();
  }, () => { /* HTTP is down too: keep reconnecting the WebSocket */ });
}

function send(frame) {
  if (S.ws && S.ws.readyState === WebSocket.OPEN) { S.ws.send(JSON.stringify(frame)); return true; }
  return false;
}

function transmit(e) {
  if (S.state !== 'connected' || S.inflight.has(e.id)) return;
  if (S.mode === 'poll') { httpSend(e); return; }
  if (send({ t: 'send', id: e.id, conv: e.conv, body: e.body })) {
    S.inflight.add(e.id);
    markState(e, 'sent');
  }
}

function markState(e, state) {
  const c = S.convs.get(e.conv);
  const m = c && c.msgs.get(msgKey(S.user, e.id));
  if (m && (m.state === 'queued' || m.state === 'sent')) m.state = state;
}

function onFrame(f) {
  S.lastFrame = Date.now();
  S.pingSent = false;
  switch (f.t) {
    case 'welcome':
      if (S.ws) S.ws.welcomed = true;
      S.wsFailures = 0;
      S.node = f.node; S.ip = f.ip; S.attempt = 0; S.lastClose = null;
      if (typeof f.cursor === 'number' && f.cursor < S.cursor) {
        // This node's store does not hold what we processed (its inbox head is lower): continue
        // from its head, or every new message would look like one we already have.
        console.warn(`inbox head ${f.cursor} on ${f.node} is below our cursor ${S.cursor}: continuing from it`);
        S.cursor = f.cursor;
        save('cursor', S.cursor);
      }
      setState('connected');
      for (const e of S.outbox) transmit(e);
      refreshConversations();
      if (S.current) loadHistory(S.current);
      renderMessages();
      break;
    case 'msg': onMsg(f); break;
    case 'synced': S.syncRequested = false; break;
    case 'ack': {
      S.inflight.delete(f.id);
      S.outbox = S.outbox.filter((e) => e.id !== f.id);
      saveOutbox();
      upsert({ conv: f.conv, seq: f.seq, id: f.id, from: S.user, ts: f.ts });
      saveMessages();
      renderStatus();
      if (f.conv === S.current) renderMessages();
      break;
    }
    case 'error': onError(f); break;
    case 'receipt': {
      const c = conv(f.conv);
      c.reads[f.user] = Math.max(c.reads[f.user] || 0, f.seq);
      applyReads(c);
      if (f.conv === S.current) renderMessages();
      break;
    }
    case 'typing': {
      if (f.conv === S.current && f.from !== S.user) {
        $('typing').textContent = f.from + ' is typing…';
        clearTimeout(S.typingTimer);
        S.typingTimer = setTimeout(() => { $('typing').textContent = ''; }, 3000);
      }
      break;
    }
    default: break; // pong, history
  }
}

function onMsg(f) {
  if (f.cursor <= S.cursor) return; // already processed
  if (f.cursor > S.cursor + 1) {
    if (!S.syncRequested) { S.syncRequested = true; send({ t: 'sync', cursor: S.cursor }); }
    return;
  }
  S.cursor = f.cursor;
  save('cursor', S.cursor);
  const isNew = upsert(f);
  const c = conv(f.conv);
  if (isNew && f.from !== S.user && f.conv !== S.current) c.unread++;
  if (!c.members.length || (c.kind === 'group' && c.title === c.id)) refreshConversations();
  saveMessages();
  if (f.conv === S.current) { renderMessages(); markRead(); }
  renderConvs();
}

function onError(f) {
  if (typeof f.ref === 'string' && f.ref.startsWith(READ_REF)) { onReadError(f); return; }
  const e = f.ref && S.outbox.find((x) => x.id === f.ref);
  if (!e) { console.warn('error', f); return; }
  S.inflight.delete(e.id);
  if (TRANSIENT.has(f.code)) { setTimeout(() => transmit(e), 1000); return; }
  S.outbox = S.outbox.filter((x) => x.id !== e.id);
  saveOutbox();
  const c = S.convs.get(e.conv);
  const m = c && c.msgs.get(msgKey(S.user, e.id));
  if (m) m.state = 'failed: ' + f.code;
  saveMessages();
  renderMessages();
}

// ---------------------------------------------------------------- long-poll transport
function authHeaders() { return { 'Content-Type': 'application/json', Authorization: 'Bearer ' + S.token }; }

/** One long-poll session: polls from the cursor until aborted or failed (then it reconnects like a closed WebSocket). */
async function pollLoop() {
  const ac = new AbortController();
  S.pollAbort = ac;
  let first = true;
  while (S.pollAbort === ac) {
    const began = Date.now();
    let j;
    try {
      const r = await fetch(`/api/poll?cursor=${S.cursor}&wait=${first ? 0 : POLL_WAIT}`,
        { headers: authHeaders(), signal: ac.signal, cache: 'no-store' });
      if (S.pollAbort !== ac) return;
      if (r.status === 401) { S.pollAbort = null; logout('Session expired or refused: please log in again.'); return; }
      j = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(j.code || ('HTTP ' + r.status));
    } catch (e) {
      if (S.pollAbort !== ac) return; // aborted on purpose (logout, back to WebSocket)
      S.pollAbort = null;
      closed(1006, String(e && e.message), true);
      return;
    }
    S.lastFrame = Date.now();
    S.syncRequested = false; // a gap is filled by the next poll, which starts at the cursor
    if (first) {
      first = false;
      S.node = null; S.ip = null; S.attempt = 0; S.lastClose = null;
      setState('connected');
      refreshConversations();
      if (S.current) loadHistory(S.current);
      renderMessages();
    }
    for (const m of j.messages || []) onMsg(m);
    for (const e of S.outbox) transmit(e); // the first send, or a retry after a failed POST
    if (!(j.messages || []).length && Date.now() - began < 1000) {
      await new Promise((res) => setTimeout(res, 1000)); // a node that does not wait: do not spin
    }
  }
}

async function httpSend(e) {
  S.inflight.add(e.id);
  markState(e, 'sent');
  try {
    const r = await fetch('/api/send', { method: 'POST', headers: authHeaders(),
      body: JSON.stringify({ id: e.id, conv: e.conv, body: e.body }) });
    const j = await r.json().catch(() => ({}));
    if (r.ok) { onFrame(j); return; }
    if (r.status === 401) { logout('Session expired or refused: please log in again.'); return; }
    onError({ ...j, t: 'error', ref: e.id, code: j.code || (r.status >= 500 ? 'store_unavailable' : 'http_' + r.status) });
  } catch (err) {
    // no answer: the message stays queued and goes again, with the same id, on the next poll
    S.inflight.delete(e.id);
    markState(e, 'queued');
    if (e.conv === S.current) renderMessages();
  }
}

/** In long-poll mode (unless forced): try a WebSocket; once one says welcome, switch back to it. */
function probeWebSocket() {
  if (S.mode !== 'poll' || FORCE_POLL || S.state !== 'connected' || S.probe) return;
  let ws;
  try { ws = new WebSocket(wsUrl()); } catch (e) { return; }
  S.probe = ws;
  const done = (ok) => {
    if (S.probe !== ws) return;
    S.probe = null;
    clearTimeout(timer);
    ws.onclose = null;
    ws.close();
    if (ok && S.mode === 'poll') {
      S.mode = 'ws';
      S.wsFailures = 0;
      const ac = S.pollAbort;
      S.pollAbort = null;
      if (ac) ac.abort();
      connect();
    }
  };
  const timer = setTimeout(() => done(false), 10000);
  ws.onopen = () => ws.send(JSON.stringify({ t: 'hello', token: S.token, cursor: S.cursor }));
  ws.onmessage = (ev) => { let f = {}; try { f = JSON.parse(ev.data); } catch (e) { /* not ours */ } done(f.t === 'welcome'); };
  ws.onclose = () => done(false);
}
setInterval(probeWebSocket, WS_PROBE_EVERY);

function markRead() {
  const c = S.current && S.convs.get(S.current);
  if (!c || document.hidden) return;
  let top = 0;
  for (const m of c.msgs.values()) if (m.from !== S.user && m.seq > top) top = m.seq;
  if (top > (c.readSent || 0) && send({ t: 'read', conv: c.id, seq: top, ref: READ_REF + c.id })) c.readSent = top;
}
const READ_REF = 'read:';

/** A refused `read` (rate limit, store busy, draining) is sent again: nothing else would repeat it. */
function onReadError(f) {
  const c = S.convs.get(f.ref.slice(READ_REF.length));
  if (!c) return;
  c.readSent = c.reads[S.user] || 0;
  if (TRANSIENT.has(f.code)) setTimeout(markRead, 1000);
}

setInterval(() => {
  if (S.state === 'reconnecting') renderStatus();
  if (S.state !== 'connected' || !S.ws) return;
  const silent = Date.now() - S.lastFrame;
  if (silent > DEAD_AFTER) { const ws = S.ws; closed(1006, 'no answer'); ws.close(); }
  else if (silent > PING_AFTER && !S.pingSent) { S.pingSent = true; send({ t: 'ping' }); }
}, 500);
window.addEventListener('online', () => {
  if (S.state === 'reconnecting' && S.reconnectTimer) { clearTimeout(S.reconnectTimer); connect(); }
});

// ---------------------------------------------------------------- user actions
function openConv(id) {
  S.current = id;
  const c = conv(id);
  c.unread = 0;
  render();
  markRead();
  loadHistory(id);
  $('compose-body').focus();
}

/** A failed message goes again with the same client id (the node answers a stored one with its original ack). */
function retryMessage(c, m) {
  m.state = 'queued';
  const e = { id: m.id, conv: c.id, body: m.body, local: m.local };
  S.outbox.push(e);
  saveOutbox();
  saveMessages();
  transmit(e);
  renderMessages();
}

function deleteMessage(c, m) {
  c.msgs.delete(msgKey(m.from, m.id));
  saveMessages();
  renderMessages();
}

function queueMessage(body) {
  const e = { id: uuid(), conv: S.current, body, local: Date.now() };
  S.outbox.push(e);
  saveOutbox(); // persisted before anything is sent: survives a reload or a closed tab
  upsert({ conv: e.conv, id: e.id, from: S.user, body, state: 'queued', local: e.local });
  saveMessages();
  transmit(e);
  render();
}

$('compose').onsubmit = (ev) => {
  ev.preventDefault();
  const body = $('compose-body').value;
  if (!body.trim()) return;
  $('compose-body').value = '';
  queueMessage(body);
};
let lastTyping = 0;
$('compose-body').oninput = () => {
  if (Date.now() - lastTyping > 2000 && S.current) { lastTyping = Date.now(); send({ t: 'typing', conv: S.current }); }
};
$('direct-user').addEventListener('input', () => { $('side-error').textContent = ''; });
$('new-direct').onsubmit = (ev) => {
  ev.preventDefault();
  const other = $('direct-user').value.trim();
  $('side-error').textContent = '';
  if (!other) return;
  if (other === S.user) {
    $('side-error').textContent = 'A direct conversation is between two users: you cannot message yourself.';
    return;
  }
  $('direct-user').value = '';
  openConv('dm:' + [S.user, other].sort().join(':'));
};
$('new-group').onsubmit = async (ev) => {
  ev.preventDefault();
  const members = $('group-members').value.split(/[\s,]+/).filter(Boolean);
  try {
    const g = await api('/api/conversations', { method: 'POST', body: JSON.stringify({ members, title: $('group-title').value }) });
    conv(g.id, g);
    $('group-title').value = ''; $('group-members').value = '';
    openConv(g.id);
  } catch (e) { alert('Could not create the group: ' + e.message); }
};
document.addEventListener('visibilitychange', markRead);

// ---------------------------------------------------------------- login
function start(user, token) {
  S.user = user; S.token = token;
  localStorage.setItem('sr.session', JSON.stringify({ user, token }));
  S.cursor = load('cursor', 0);
  S.outbox = load('outbox', []);
  S.wsFailures = 0;
  const stored = load('convs', {});
  for (const [id, c] of Object.entries(stored)) {
    const x = conv(id, c);
    for (const m of c.msgs) x.msgs.set(msgKey(m.from, m.id), m);
  }
  // Queued messages render (as queued) even before the connection is back.
  for (const e of S.outbox) upsert({ conv: e.conv, id: e.id, from: S.user, body: e.body, state: 'queued', local: e.local });
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  $('whoami').textContent = 'logged in as ' + user;
  render();
  connect();
}

function logout(msg) {
  localStorage.removeItem('sr.session');
  if (S.ws) { const ws = S.ws; S.ws = null; ws.close(); }
  if (S.pollAbort) { const ac = S.pollAbort; S.pollAbort = null; ac.abort(); }
  location.hash = msg ? 'msg=' + encodeURIComponent(msg) : '';
  location.reload();
}
$('logout').onclick = () => logout();

/** The user id (sub) a JWT names; the node verifies the token, this only reads it. */
function tokenUser(token) {
  const part = token.split('.')[1] || '';
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
  const sub = JSON.parse(json).sub;
  if (typeof sub !== 'string' || !/^[A-Za-z0-9_.@-]{1,64}$/.test(sub)) throw new Error('the token names no valid user (sub)');
  return sub;
}

$('login-form').onsubmit = async (ev) => {
  ev.preventDefault();
  const user = $('login-user').value.trim();
  const token = $('login-token').value.trim();
  try {
    if (token) { start(tokenUser(token), token); return; }
    if (!user) throw new Error('enter a user id or a token');
    const r = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user }) });
    const j = await r.json();
    if (r.status === 404) throw new Error('this node has no dev login; sign in with a token from your backend');
    if (!r.ok) throw new Error(j.message || ('HTTP ' + r.status));
    start(j.user || user, j.token);
  } catch (e) { $('login-error').textContent = 'Login failed: ' + e.message; }
};

(function boot() {
  const m = /msg=([^&]*)/.exec(location.hash);
  if (m) $('login-error').textContent = decodeURIComponent(m[1]);
  // A backend hands over a token in the fragment (never sent to a server or its logs): /#token=JWT
  const t = /token=([^&]*)/.exec(location.hash);
  if (t) {
    history.replaceState(null, '', location.pathname + location.search);
    try { start(tokenUser(decodeURIComponent(t[1])), decodeURIComponent(t[1])); return; }
    catch (e) { $('login-error').textContent = 'Login failed: ' + e.message; }
  }
  try {
    const s = JSON.parse(localStorage.getItem('sr.session') || 'null');
    if (s && s.user && s.token) start(s.user, s.token);
  } catch (e) { /* fresh login */ }
}());
