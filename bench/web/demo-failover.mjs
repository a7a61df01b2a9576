import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// Manual check of the web client against the real demo (not part of mvn verify): alice and bob on
// one node, SIGKILL that node through the demo's control endpoint, both pages reconnect through
// the LB to another node (which has its own SQLite store: the inbox-head reset applies), and new
// messages flow both ways. Usage: node bench/web/demo-failover.mjs  (after building the jar)
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const JAR = process.env.STICKYRING_JAR || join(ROOT, 'dist', 'target', 'stickyring.jar');
const DATA = mkdtempSync(join(tmpdir(), 'sr-demo-failover-'));
const SHOT = process.env.SCREENSHOT || join(ROOT, 'docs', 'img', 'web-client-demo-failover.png');
let failed = false;
const demo = spawn('java', ['-jar', JAR, 'demo', '--port', '0', '--admin-port', '29390',
  '--control-port', '29391', '--data', DATA, '--no-console'], { stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
const port = await new Promise((res, rej) => {
  const t = setTimeout(() => rej(new Error('no demo: ' + out)), 120000);
  const on = (d) => { out += d; const m = /proxy on 127\.0\.0\.1:(\d+)/.exec(out); if (m && /demo: ready/.test(out)) { clearTimeout(t); res(+m[1]); } };
  demo.stdout.on('data', on); demo.stderr.on('data', on);
});
console.log('demo LB port', port);
const T = 40000;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const url = `http://127.0.0.1:${port}/`;
  const [a, b] = [await (await browser.newContext({ viewport: { width: 1100, height: 600 } })).newPage(), await (await browser.newContext()).newPage()];
  for (const [p, u] of [[a, 'alice'], [b, 'bob']]) {
    await p.goto(url); await p.fill('#login-user', u); await p.click('#login-form button');
    await p.waitForSelector('#status[data-state="connected"]', { timeout: T });
  }
  const status = await a.textContent('#status'); console.log('alice:', status);
  const node = /node (\S+)/.exec(status)[1];
  await a.fill('#direct-user', 'bob'); await a.click('#new-direct button');
  await a.fill('#compose-body', 'before failover'); await a.click('#compose button');
  await b.click('#conversations li[data-conv="dm:alice:bob"]', { timeout: T });
  await b.waitForSelector('#messages li:has-text("before failover")', { timeout: T });
  console.log('killing', node, await (await fetch(`http://127.0.0.1:29391/nodes/${node}/kill?signal=KILL`, { method: 'POST' })).text());
  await a.waitForFunction((n) => /connected · node/.test(document.getElementById('status').textContent) && !document.getElementById('status').textContent.includes('node ' + n + ' '), node, { timeout: T });
  await b.waitForFunction((n) => /connected · node/.test(document.getElementById('status').textContent) && !document.getElementById('status').textContent.includes('node ' + n + ' '), node, { timeout: T });
  console.log('alice now:', await a.textContent('#status'));
  await a.fill('#compose-body', 'after failover'); await a.click('#compose button');
  await b.waitForSelector('#messages li:has-text("after failover")', { timeout: T });
  await b.fill('#compose-body', 'reply after failover'); await b.click('#compose button');
  await a.waitForSelector('#messages li:has-text("reply after failover")', { timeout: T });
  console.log('rows alice:', await a.$$eval('#messages li .body', (x) => x.map((e) => e.textContent)));
  await a.screenshot({ path: SHOT });
  console.log('DEMO FAILOVER OK');
} catch (e) { failed = true; console.log('FAILED', e.message); } finally {
  await browser.close(); demo.kill('SIGTERM');
}
process.exit(failed ? 1 : 0);
