// Headless Chromium test of the web client (chat-node/src/main/resources/web).
// Two users log in, exchange messages; the node stops (alice and bob go offline), both queue a
// message, alice even closes her tab; the node comes back; each queued message is delivered
// exactly once, and no message is rendered twice. Then the form checks, a failed message, and the
// long-poll fallback (forced with ?transport=poll, and automatic when every WebSocket upgrade is
// cut), through a node restart. Exit 0 = pass, 1 = fail.
// Env: NODE_JAVA + NODE_CP (run the node from a classpath) or STICKYRING_JAR; CHROMIUM; SCREENSHOT.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

const tmp = mkdtempSync(join(tmpdir(), 'sr-web-'));
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const screenshot = process.env.SCREENSHOT;
const T = 30000;
const SECRET = 'web-test-secret-0123456789abcdef-0123456789';

/** An HS256 JWT as any backend would issue it (here with node:crypto): the way in without dev login. */
function jwt(sub, ttlSeconds) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = b64({ alg: 'HS256', typ: 'JWT' }) + '.' + b64({ sub, iat: now, nbf: now, exp: now + ttlSeconds });
  return input + '.' + createHmac('sha256', SECRET).update(input).digest('base64url');
}

function nodeCommand(port, id) {
  const args = ['--listen', `127.0.0.1:${port}`, '--id', id, '--store', `sqlite:${join(tmp, 'web.db')}`,
    '--dev-login', '--drain-period', '0s',
    '--retry-hint-min', '200ms', '--retry-hint-max', '600ms', '--io-threads', '1'];
  if (process.env.NODE_CP) {
    return [process.env.NODE_JAVA || 'java', ['-Xmx256m', '-cp', process.env.NODE_CP, 'io.stickyring.chat.NodeMain', ...args]];
  }
  return ['java', ['-Xmx256m', '-jar', process.env.STICKYRING_JAR, 'node', ...args]];
}

function startNode(port, id) {
  const [cmd, args] = nodeCommand(port, id);
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STICKYRING_SECRET: SECRET } });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('node did not start: ' + out)), 60000);
    const onData = (d) => {
      out += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ proc, port: +m[1] }); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`node exited (${code}): ${out}`)));
  });
}

function stopNode(n) {
  return new Promise((resolve) => { n.proc.once('exit', resolve); n.proc.kill('SIGTERM'); });
}

async function login(page, url, user) {
  await page.goto(url);
  await page.fill('#login-user', user);
  await page.click('#login-form button');
  await page.waitForSelector('#status[data-state="connected"]', { timeout: T });
}

/** Logs in with a backend's token handed over in the URL fragment (/#token=JWT). */
async function loginWithToken(page, url, token) {
  await page.goto(url + '#token=' + encodeURIComponent(token));
  await page.waitForSelector('#status[data-state="connected"]', { timeout: T });
}

const rows = (page, text) => page.locator('#messages li .body', { hasText: text }).count();
const stateOf = (page, text) => page.locator('#messages li', { hasText: text }).locator('.state').getAttribute('data-state');
async function waitState(page, text, states) {
  await page.waitForFunction(([t, s]) => [...document.querySelectorAll('#messages li')]
    .some((li) => li.querySelector('.body').textContent === t && s.includes(li.querySelector('.state')?.dataset.state)),
  [text, states], { timeout: T });
}
async function noDuplicateRows(page) {
  const keys = await page.$$eval('#messages li', (lis) => lis.map((li) => li.dataset.key));
  assert.equal(new Set(keys).size, keys.length, 'a message rendered twice: ' + keys.join(', '));
}
async function send(page, text) {
  await page.fill('#compose-body', text);
  await page.click('#compose button');
}

/** a opens a direct chat with b and sends text (acked); b opens it, sees it, replies (acked); a sees the reply. */
async function exchange(a, b, bUser, conv, text, reply) {
  await a.fill('#direct-user', bUser);
  await a.click('#new-direct button');
  await send(a, text);
  await waitState(a, text, ['acked', 'read']);
  await b.click(`#conversations li[data-conv="${conv}"]`, { timeout: T });
  await b.waitForSelector(`#messages li:has-text("${text}")`, { timeout: T });
  await send(b, reply);
  await waitState(b, reply, ['acked', 'read']);
  await a.waitForSelector(`#messages li:has-text("${reply}")`, { timeout: T });
}

let node;
let browser;
let failed = false;
const pages = {}; // name -> page, for the state dump on failure

/** What a page's client holds (connection, cursor, each conversation's messages and read marks): printed on failure. */
async function dumpState(name, page) {
  if (!page || page.isClosed()) return;
  try {
    const st = await page.evaluate(() => JSON.stringify({
      visibility: document.visibilityState, user: S.user, state: S.state, mode: S.mode, node: S.node, cursor: S.cursor, current: S.current,
      outbox: S.outbox.map((e) => e.id), inflight: [...S.inflight],
      convs: [...S.convs.values()].map((c) => ({ id: c.id, reads: c.reads, readSent: c.readSent,
        msgs: [...c.msgs.values()].map((m) => `${m.from}/${m.seq || '-'}/${m.state || ''}/${(m.body || '').slice(0, 24)}`) })),
    }));
    console.error(`state of ${name}'s page: ${st}`);
  } catch (e) {
    console.error(`state of ${name}'s page: unavailable (${e.message})`);
  }
}

try {
  node = await startNode(0, 'web-n1');
  const url = `http://127.0.0.1:${node.port}/`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Playwright gives each launch a fresh --user-data-dir of its own.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const ctxA = await browser.newContext({ viewport: { width: 1100, height: 640 } });
  const ctxB = await browser.newContext({ viewport: { width: 1100, height: 640 } });
  let alice = await ctxA.newPage();
  const bob = await ctxB.newPage();
  pages.alice = alice;
  pages.bob = bob;
  await login(alice, url, 'alice');
  await loginWithToken(bob, url, jwt('bob', 3600));
  assert.match(await bob.textContent('#whoami'), /logged in as bob/);
  assert.match(await alice.textContent('#status'), /node web-n1 .*127\.0\.0\.1/);

  // Exchange messages; alice's message turns "read" once bob opens the conversation.
  await exchange(alice, bob, 'bob', 'dm:alice:bob', 'hello bob', 'hi alice');
  await waitState(alice, 'hello bob', ['read']);
  console.log('exchange ok: hello bob -> read, hi alice delivered');

  // A group: alice creates it, bob finds it in his list with its title and gets the message.
  await alice.fill('#group-title', 'team');
  await alice.fill('#group-members', 'bob, carol');
  await alice.click('#new-group button');
  await alice.waitForSelector('#conv-title:has-text("# team")', { timeout: T });
  await send(alice, 'hello team');
  await waitState(alice, 'hello team', ['acked', 'read']);
  await bob.waitForSelector('#conversations li:has-text("# team")', { timeout: T });
  await bob.click('#conversations li:has-text("# team")');
  await bob.waitForSelector('#messages li:has-text("hello team")', { timeout: T });
  assert.equal(await rows(bob, 'hello team'), 1);
  await bob.click('#conversations li[data-conv="dm:alice:bob"]');
  await alice.click('#conversations li[data-conv="dm:alice:bob"]');
  console.log('group ok: created, listed for bob with its title, message delivered');

  // The node goes away: both pages show the reconnect indicator; messages queue.
  await stopNode(node);
  await alice.waitForSelector('#status[data-state="reconnecting"]', { timeout: T });
  await bob.waitForSelector('#status[data-state="reconnecting"]', { timeout: T });
  await alice.waitForSelector('#banner:not([hidden])', { timeout: T });
  await send(alice, 'queued while offline');
  await send(bob, 'bob queued too');
  assert.equal(await stateOf(alice, 'queued while offline'), 'queued');
  assert.equal(await stateOf(bob, 'bob queued too'), 'queued');
  const outbox = await alice.evaluate(() => JSON.parse(localStorage.getItem('sr.outbox.alice')));
  assert.deepEqual(outbox.map((e) => e.body), ['queued while offline']);
  console.log('offline ok: both messages queued, alice outbox persisted in localStorage');
  // Alice closes her tab while offline: the message lives only in localStorage now.
  await alice.close();

  node = await startNode(node.port, 'web-n2');
  alice = await ctxA.newPage();
  pages.alice = alice;
  await alice.goto(url);
  await alice.waitForSelector('#status[data-state="connected"]', { timeout: T });
  await bob.waitForSelector('#status[data-state="connected"]', { timeout: T });
  await alice.click('#conversations li[data-conv="dm:alice:bob"]', { timeout: T });
  await bob.waitForSelector('#messages li:has-text("queued while offline")', { timeout: T });
  await alice.waitForSelector('#messages li:has-text("bob queued too")', { timeout: T });
  await waitState(alice, 'queued while offline', ['acked', 'read']);
  await waitState(bob, 'bob queued too', ['acked', 'read']);
  // Give any duplicate a chance to show up: a further round trip after the resends.
  await send(bob, 'after the storm');
  await alice.waitForSelector('#messages li:has-text("after the storm")', { timeout: T });
  await waitState(bob, 'after the storm', ['acked', 'read']);
  for (const [page, who] of [[alice, 'alice'], [bob, 'bob']]) {
    for (const text of ['hello bob', 'hi alice', 'queued while offline', 'bob queued too', 'after the storm']) {
      assert.equal(await rows(page, text), 1, `${who} shows "${text}" ${await rows(page, text)} times`);
    }
    await noDuplicateRows(page);
  }
  assert.deepEqual(await alice.evaluate(() => JSON.parse(localStorage.getItem('sr.outbox.alice'))), []);
  // bob read it: the receipt reaches alice's new page
  await waitState(alice, 'queued while offline', ['read']);
  // A conversation list fetched before that receipt (it can answer after it) does not take it back.
  assert.deepEqual(await alice.evaluate(() => {
    const c = S.convs.get('dm:alice:bob');
    const before = c.reads.bob;
    conv('dm:alice:bob', { reads: { bob: 0, alice: 0 } });
    return [c.reads.bob === before, before > 0];
  }), [true, true], 'a stale conversation list lowered bob\'s read mark');
  // A refused read (here a rate_limited error for it, as the node sends one) is sent again: bob's
  // own receipt for the repeated read brings his mark back.
  await bob.evaluate(() => {
    S.convs.get('dm:alice:bob').reads.bob = 0;
    onFrame({ t: 'error', code: 'rate_limited', message: 'injected by the test', ref: 'read:dm:alice:bob' });
  });
  await bob.waitForFunction(() => S.convs.get('dm:alice:bob').reads.bob > 0, null, { timeout: T });
  // a dead node is not a blocked WebSocket: bob's page stayed on (and came back over) WebSocket
  assert.match(await bob.textContent('#status'), /node web-n2/);
  assert.match(await alice.textContent('#status'), /node web-n2 .*127\.0\.0\.1/);
  console.log('reconnect ok: each queued message delivered exactly once after the node came back');

  if (screenshot) {
    mkdirSync(dirname(screenshot), { recursive: true });
    await alice.screenshot({ path: screenshot });
    console.log('screenshot: ' + screenshot);
  }
  // Polish: the user-id pattern compiles in today's Chromium (pattern uses the v flag), so the
  // browser really validates; a DM to yourself says why it does nothing; a failed message keeps
  // its place and offers retry and delete.
  // alice's page was reloaded (a new tab) after bob had read "hello bob": it still says read
  await alice.click('#conversations li[data-conv="dm:alice:bob"]');
  assert.equal(await stateOf(alice, 'hello bob'), 'read');
  assert.equal(await alice.evaluate(() => { const i = document.getElementById('direct-user');
    new RegExp('^(?:' + i.pattern + ')$', 'v'); i.value = 'no spaces!'; return i.checkValidity(); }), false);
  assert.equal(await alice.evaluate(() => { const i = document.getElementById('direct-user'); i.value = 'john.doe@x-y'; return i.checkValidity(); }), true);
  await alice.fill('#direct-user', 'alice');
  await alice.click('#new-direct button');
  assert.match(await alice.textContent('#side-error'), /cannot message yourself/);
  assert.equal(await alice.locator('#conversations li[data-conv="dm:alice:alice"]').count(), 0);
  await alice.click('#conversations li[data-conv="dm:alice:bob"]');
  const tooLarge = 'é'.repeat(9000); // 18,000 UTF-8 bytes > --max-body-bytes 16 KiB
  await send(alice, tooLarge);
  await alice.waitForSelector('#messages li.failed', { timeout: T });
  await send(alice, 'written after the failed one');
  await waitState(alice, 'written after the failed one', ['acked', 'read']);
  const order = await alice.$$eval('#messages li', (lis) => lis.map((li) => li.querySelector('.body').textContent.slice(0, 30)));
  assert.ok(order.indexOf(tooLarge.slice(0, 30)) < order.indexOf('written after the failed one'), 'failed message sank: ' + order);
  assert.equal(await alice.locator('#messages li.failed button.retry').count(), 1);
  if (screenshot) await alice.screenshot({ path: screenshot.replace(/\.png$/, '') + '-failed.png' });
  await alice.click('#messages li.failed button.delete');
  await alice.waitForFunction(() => !document.querySelector('#messages li.failed'), null, { timeout: T });
  console.log('polish ok: pattern validates, DM to self explained, failed message in place with retry/delete');

  // Long-poll fallback: carol forces it with ?transport=poll; dave's browser cannot use
  // WebSockets at all (every upgrade is cut), so his page falls back by itself.
  const ctxC = await browser.newContext({ viewport: { width: 1100, height: 640 } });
  const ctxD = await browser.newContext({ viewport: { width: 1100, height: 640 } });
  let wsCut = 0;
  let wsBlocked = true;
  await ctxD.routeWebSocket(/\/ws$/, (ws) => { if (wsBlocked) { wsCut++; ws.close(); } else ws.connectToServer(); });
  let carol = await ctxC.newPage();
  const dave = await ctxD.newPage();
  pages.carol = carol;
  pages.dave = dave;
  await dave.clock.install(); // time flows as usual; fastForward below jumps to the next WebSocket probe
  const pollUrl = url + '?transport=poll';
  await login(carol, pollUrl, 'carol');
  await login(dave, url, 'dave');
  for (const p of [carol, dave]) assert.match(await p.textContent('#status'), /long-poll/);
  assert.ok(wsCut >= 2, `dave's page tried the WebSocket ${wsCut} times before falling back`);
  await exchange(carol, dave, 'dave', 'dm:carol:dave', 'carol over long-poll', 'dave over long-poll too');
  // carol is in alice's group: the poll delivers its messages too
  await alice.click('#conversations li:has-text("# team")');
  await send(alice, 'team news');
  await carol.waitForSelector('#conversations li:has-text("# team")', { timeout: T });
  console.log('long-poll ok: forced and automatic fallback, sends acked, messages delivered both ways');
  // The WebSocket works again for dave: the next probe (every 60 s) takes it back.
  wsBlocked = false;
  await dave.clock.fastForward('01:01');
  await dave.waitForFunction(() => /node web-n2/.test(document.getElementById('status').textContent), null, { timeout: T });
  console.log('probe ok: dave back on WebSocket once it worked again');

  // The node goes away under long-poll: carol queues (persisted), closes her tab; the node comes
  // back; her message goes once, with its id, and dave sees it once.
  await stopNode(node);
  await carol.waitForSelector('#status[data-state="reconnecting"]', { timeout: T });
  await send(carol, 'carol queued under long-poll');
  assert.equal(await stateOf(carol, 'carol queued under long-poll'), 'queued');
  assert.deepEqual((await carol.evaluate(() => JSON.parse(localStorage.getItem('sr.outbox.carol')))).map((e) => e.body),
    ['carol queued under long-poll']);
  await carol.close();
  node = await startNode(node.port, 'web-n3');
  carol = await ctxC.newPage();
  pages.carol = carol;
  await carol.goto(pollUrl);
  await carol.waitForSelector('#status[data-state="connected"]', { timeout: T });
  await carol.click('#conversations li[data-conv="dm:carol:dave"]', { timeout: T });
  await waitState(carol, 'carol queued under long-poll', ['acked', 'read']);
  await dave.waitForSelector('#messages li:has-text("carol queued under long-poll")', { timeout: T });
  await send(dave, 'dave after the restart');
  await carol.waitForSelector('#messages li:has-text("dave after the restart")', { timeout: T });
  for (const [page, who] of [[carol, 'carol'], [dave, 'dave']]) {
    for (const text of ['carol over long-poll', 'dave over long-poll too', 'carol queued under long-poll', 'dave after the restart']) {
      assert.equal(await rows(page, text), 1, `${who} shows "${text}" ${await rows(page, text)} times`);
    }
    await noDuplicateRows(page);
  }
  assert.deepEqual(await carol.evaluate(() => JSON.parse(localStorage.getItem('sr.outbox.carol'))), []);
  console.log('long-poll reconnect ok: the queued message resent after reload, delivered exactly once');
  if (screenshot) {
    const pollShot = screenshot.replace(/\.png$/, '') + '-long-poll.png';
    await carol.screenshot({ path: pollShot });
    console.log('screenshot: ' + pollShot);
  }
  console.log('PASS web client test');
} catch (e) {
  failed = true;
  console.error('FAIL web client test:', e && e.stack || e);
  for (const [name, page] of Object.entries(pages)) await dumpState(name, page);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (node && node.proc.exitCode === null) await stopNode(node);
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
