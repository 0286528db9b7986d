// Runs one browser test script against a running server, for browsertest.Run.
//
//   node harness.cjs SCRIPT.cjs
//
// SCRIPT exports `async (t) => result`, where t has page, context, url,
// params, log(...) and screenshot(name). The harness launches the system's
// Chromium headless, refuses (and reports) every request to a host other than
// the server's, and prints one JSON report as the last line of stdout; it
// exits non-zero when the script throws or the page reached off the machine.
//
// Environment: BROWSERTEST_URL (required), BROWSERTEST_PARAMS (JSON),
// BROWSERTEST_OUT (screenshot folder), BROWSERTEST_CHROMIUM,
// BROWSERTEST_TIMEOUT_MS, BROWSERTEST_ARGS (a JSON list of extra --flags).
'use strict';

const path = require('node:path');
const { chromium } = require('playwright-core');

const LAUNCH_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

async function main() {
  const script = path.resolve(process.argv[2] || '');
  const url = process.env.BROWSERTEST_URL;
  if (!process.argv[2] || !url) throw new Error('usage: BROWSERTEST_URL=… node harness.cjs SCRIPT.cjs');
  const params = JSON.parse(process.env.BROWSERTEST_PARAMS || '{}');
  const out = process.env.BROWSERTEST_OUT || process.cwd();
  const timeout = Number(process.env.BROWSERTEST_TIMEOUT_MS) || 60000;
  const extraArgs = JSON.parse(process.env.BROWSERTEST_ARGS || '[]');
  if (!Array.isArray(extraArgs) || extraArgs.some((a) => typeof a !== 'string' || !a.startsWith('--'))) {
    throw new Error('BROWSERTEST_ARGS is a JSON list of --flags');
  }
  const localHosts = new Set(['localhost', '127.0.0.1', '[::1]', new URL(url).hostname]);
  const isLocal = (u) => {
    const p = new URL(u);
    return !/^(https?|wss?):$/.test(p.protocol) || localHosts.has(p.hostname);
  };

  const report = { ok: false, external: [], consoleErrors: [], pageErrors: [], screenshots: [] };
  const log = (...a) => console.error(new Date().toISOString().slice(11, 23), ...a);
  let browser, page;
  const screenshot = async (name) => {
    const file = path.join(out, name.replace(/[^\w.-]+/g, '_') + '.png');
    await page.screenshot({ path: file, fullPage: true });
    report.screenshots.push(file);
    log('screenshot', file);
    return file;
  };

  try {
    browser = await chromium.launch({
      executablePath: process.env.BROWSERTEST_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: [...LAUNCH_ARGS, ...extraArgs],
      timeout: 30000,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // Offline is the point: a page that needs a CDN fails here, not in production.
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (isLocal(u)) return route.continue();
      report.external.push(u);
      return route.abort('blockedbyclient');
    });
    page = await context.newPage();
    page.on('websocket', (ws) => { if (!isLocal(ws.url())) report.external.push(ws.url()); });
    page.on('console', (m) => { if (m.type() === 'error') report.consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => report.pageErrors.push(String(e && e.stack || e)));
    page.setDefaultTimeout(Math.min(timeout, 20000));

    const run = require(script);
    let timer;
    const expired = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`script took over ${timeout} ms`)), timeout);
    });
    try {
      report.result = await Promise.race([run({ page, context, browser, url, params, log, screenshot }), expired]);
    } finally {
      clearTimeout(timer);
    }
    if (report.external.length) throw new Error('the page asked for other hosts: ' + report.external.join(', '));
    report.ok = true;
  } catch (e) {
    report.error = String(e && e.stack || e);
    if (page) await screenshot('failure').catch((err) => log('no failure screenshot:', err.message));
  } finally {
    if (browser) await browser.close().catch(() => {});
  }
  process.stdout.write('\n' + JSON.stringify(report) + '\n');
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((e) => {
  process.stdout.write('\n' + JSON.stringify({ ok: false, error: String(e && e.stack || e) }) + '\n');
  process.exitCode = 2;
});
