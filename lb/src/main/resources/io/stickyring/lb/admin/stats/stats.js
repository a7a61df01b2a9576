// The LB stats page: polls /stats.json and renders it. Invariant: every value from the LB (member
// ids, addresses, zones, reasons) enters the page through textContent, never innerHTML, so a member
// registered as "<script>..." is shown as that text; class names come only from the fixed STATES map.
'use strict';

const STATES = { ACTIVE: 's-active', DRAINING: 's-draining', MAINT: 's-maint', DOWN: 's-down' };
const HEALTH = { UP: 's-active', DOWN: 's-down', 'NOT CHECKED': 's-maint' };
let previous = null;   // the last snapshot, for rates
let timer = null;

function $(id) { return document.getElementById(id); }

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}

function age(ms) {
  if (ms === null || ms === undefined || ms < 0) return '–';
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400); s %= 86400;
  const h = Math.floor(s / 3600); s %= 3600;
  const m = Math.floor(s / 60); s %= 60;
  if (d) return d + 'd ' + h + 'h';
  if (h) return h + 'h ' + m + 'm';
  if (m) return m + 'm ' + s + 's';
  return s + 's';
}

function rate(now, then, field, dtSec) {
  if (!then || dtSec <= 0) return '';
  const d = now[field] - then[field];
  return d < 0 ? '' : (field.startsWith('bytes') ? bytes(d / dtSec) + '/s' : (d / dtSec).toFixed(1) + '/s');
}

function numCell(value, rateText) {
  const td = el('td', null, 'n');
  td.appendChild(document.createTextNode(value));
  if (rateText) td.appendChild(el('span', rateText, 'rate'));
  return td;
}

function render(s) {
  const prevMembers = new Map();
  if (previous) for (const m of previous.members) prevMembers.set(m.id, m);
  const dt = previous ? (s.now - previous.now) / 1000 : 0;

  $('version').textContent = 'v' + s.version;
  $('view').textContent = 'v' + s.viewVersion;
  $('stale').hidden = !s.stale;
  $('algorithm').textContent = s.algorithm || 'none (empty ring)';
  $('ring').textContent = s.ringMembers + ' of ' + s.members.length;
  $('uptime').textContent = age(s.now - s.startedAt);
  $('active').textContent = s.totals.active;
  $('accepted').textContent = s.totals.accepted;
  $('acceptRate').textContent = previous ? rate(s.totals, previous.totals, 'accepted', dt) : '';
  $('rejected').textContent = s.totals.rejected;
  $('closed').textContent = s.totals.closed;

  const rows = document.createDocumentFragment();
  for (const m of s.members) {
    const then = prevMembers.get(m.id);
    const tr = el('tr');
    tr.dataset.member = m.id;
    if (m.state === 'DOWN') tr.className = 'down';
    tr.appendChild(el('td', m.id, 'id'));
    tr.appendChild(el('td', m.address, 'addr'));
    tr.appendChild(el('td', m.zone || '–'));
    const st = el('td');
    st.appendChild(el('span', m.state, 'badge ' + (STATES[m.state] || '')));
    tr.appendChild(st);
    const since = el('td', m.stateSince ? age(s.now - m.stateSince) : '–', 'since');
    if (m.stateSince) since.title = 'since ' + new Date(m.stateSince).toISOString();
    tr.appendChild(since);
    tr.appendChild(el('td', m.weight, 'n'));
    tr.appendChild(el('td', (m.share * 100).toFixed(1) + '%', 'n'));
    const h = el('td');
    h.appendChild(el('span', m.health, 'badge ' + (HEALTH[m.health] || '')));
    if (m.connectStreak > 0) h.appendChild(el('span', ' ' + m.connectStreak + ' failed in a row', 'muted'));
    tr.appendChild(h);
    tr.appendChild(numCell(m.connections));
    tr.appendChild(numCell(bytes(m.bytesToMember), rate(m, then, 'bytesToMember', dt)));
    tr.appendChild(numCell(bytes(m.bytesFromMember), rate(m, then, 'bytesFromMember', dt)));
    tr.appendChild(numCell(m.connectFailures, rate(m, then, 'connectFailures', dt)));
    rows.appendChild(tr);
  }
  $('rows').replaceChildren(rows);
  $('empty').hidden = s.members.length > 0;

  const bad = Object.entries(s.badMembers || {});
  $('bad').hidden = bad.length === 0;
  $('badList').replaceChildren(...bad.map(([id, why]) => el('li', id + ': ' + why)));

  const st = $('status');
  st.textContent = 'updated ' + new Date(s.now).toLocaleTimeString();
  st.className = 'status ok';
  previous = s;
}

async function poll() {
  try {
    // location.origin, not a relative URL: opened as http://user:token@host/stats, the page's own
    // URL carries credentials and fetch refuses to build a request relative to it; the browser
    // still sends the Basic credentials it cached for this origin.
    const r = await fetch(location.origin + '/stats.json', { cache: 'no-store', credentials: 'same-origin' });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    render(await r.json());
  } catch (e) {
    const st = $('status');
    st.textContent = 'cannot reach the LB: ' + e.message;
    st.className = 'status err';
  }
}

function schedule() {
  if (timer) clearInterval(timer);
  const sec = Number($('refresh').value);
  timer = sec > 0 ? setInterval(poll, sec * 1000) : null;
}

document.addEventListener('DOMContentLoaded', () => {
  // ?refresh=N (seconds; 0 pauses) picks the initial interval; default 2 s
  const q = new URLSearchParams(location.search).get('refresh');
  const sel = $('refresh');
  sel.value = q !== null && [...sel.options].some(o => o.value === q) ? q : '2';
  sel.addEventListener('change', schedule);
  poll();
  schedule();
});
