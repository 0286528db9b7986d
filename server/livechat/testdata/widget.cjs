// Browser test of the Live Chat widget (run by browser_test.go through
// server/browsertest). It plays the visitor on /livechat/demo while the Go
// test plays the agent over GraphQL:
//
//   1. the visitor opens the widget with the keyboard, cannot send a text
//      too long, gives a bad e-mail address and is told, then sends text1;
//      the agent answers reply1, which must appear with the agent's name,
//      as text, and be marked read;
//   2. a reload continues the same session with its history;
//   3. the visitor sends text2; the agent drops the visitor's WebSocket and
//      answers reply2 while it is down: the widget reconnects and fills the gap;
//   3b. a send whose answer is lost shows once; one that fails shows "Not
//      sent" and goes on Retry;
//   4. at phone width the panel fills the screen and Escape closes it; an
//      answer to the closed panel shows a badge and is READ only once opened
//      (sent from here, as the agent, to time it);
//   5. the token is revoked: the widget starts over, and the next message
//      opens a new session.
//
// It returns what it saw; the Go test judges.
'use strict';

module.exports = async ({ page, url, params, log, screenshot }) => {
  const { channel, agentToken, name, text1, reply1, text2, reply2, lost, retried, reply3, text3 } = params;
  const storageKey = 'parley.livechat.' + channel;

  const sockets = []; // every WebSocket, with what the widget sent on it
  const received = []; // every frame the server sent
  page.on('websocket', (ws) => {
    const s = { url: ws.url(), sent: [], closed: false };
    sockets.push(s);
    ws.on('framesent', (f) => { s.sent.push(JSON.parse(f.payload)); log('ws sent', String(f.payload).slice(0, 200)); });
    ws.on('framereceived', (f) => { received.push(String(f.payload)); log('ws received', String(f.payload).slice(0, 200)); });
    ws.on('close', () => { s.closed = true; log('ws closed'); });
  });
  const reads = []; // the statuses markRead answered with
  page.on('response', async (r) => {
    const body = r.request().postData() || '';
    if (!r.url().endsWith('/query') || !body.includes('markRead')) return;
    const j = await r.json().catch(() => null);
    const edges = j && j.data && j.data.markRead ? j.data.markRead.messages.edges : [];
    reads.push(edges.map((e) => e.node));
    log('markRead ->', JSON.stringify(edges.map((e) => e.node.status)));
  });

  const launcher = page.locator('button.launcher');
  const panel = page.locator('.panel');
  const textarea = page.locator('textarea');
  const messages = () => page.locator('ol li').evaluateAll((lis) => lis.map((li) => ({
    cls: li.className,
    name: (li.querySelector('.name') || {}).textContent || null,
    text: li.querySelector('.bubble').textContent,
    meta: li.querySelector('.meta').textContent,
    elements: li.querySelector('.bubble').children.length, // markup in the text would make elements
  })));
  const focused = () => page.evaluate(() => {
    const host = document.getElementById('parley-livechat');
    const a = document.activeElement === host ? host.shadowRoot.activeElement : document.activeElement;
    return a ? a.tagName.toLowerCase() + (a.id ? '#' + a.id : '') + (a.className ? '.' + a.className : '') : null;
  });
  const stored = () => page.evaluate((k) => JSON.parse(localStorage.getItem(k) || 'null'), storageKey);
  const theirs = (text) => page.locator('li.theirs .bubble', { hasText: text });
  const mineSent = (text) => page.locator('li.mine:not(.pending):not(.failed) .bubble', { hasText: text });
  // agent runs a query as the agent (outside the page), for what the Go side cannot time.
  async function agent(query, variables) {
    const res = await page.request.post(url + '/query', { headers: { Authorization: 'Bearer ' + agentToken }, data: { query, variables } });
    const j = await res.json();
    if (j.errors) throw new Error('agent: ' + JSON.stringify(j.errors));
    return j;
  }
  const statusOf = async (id) =>
    (await agent('query($id:ID!){ node(id:$id){ ... on Message { status } } }', { id })).data.node.status;
  async function until(what, fn, ms = 30000) {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error('timed out waiting for ' + what);
      await page.waitForTimeout(100);
    }
  }

  // 1. Open with the keyboard, write, get the answer.
  await page.goto(`${url}/livechat/demo?channel=${encodeURIComponent(channel)}`);
  await launcher.waitFor();
  const closed = {
    label: await launcher.getAttribute('aria-label'),
    expanded: await launcher.getAttribute('aria-expanded'),
    panelVisible: await panel.isVisible(),
  };
  await screenshot('1-closed');
  await launcher.focus();
  await page.keyboard.press('Enter');
  await panel.waitFor({ state: 'visible' });
  const opened = { expanded: await launcher.getAttribute('aria-expanded'), focus: await focused() };
  await screenshot('1b-open-empty');
  // Too long: counted as the server counts (code points), and not sendable.
  await textarea.fill('€'.repeat(1001));
  const tooLong = { counter: await page.locator('.counter').textContent(), sendDisabled: await page.locator('button.send').isDisabled() };
  // A bad e-mail: the server refuses to start; the text comes back to fix it.
  await page.locator('input#name').fill(name);
  await page.locator('input#email').fill('vera-at-example');
  await textarea.fill(text1);
  await textarea.press('Enter');
  await page.locator('.status', { hasText: 'e-mail' }).waitFor();
  const badEmail = { status: await page.locator('.status').textContent(), text: await textarea.inputValue(), focus: await focused(), messages: await messages() };
  await page.locator('input#email').fill('vera@example.com');
  await textarea.press('Enter');
  await mineSent(text1).waitFor();
  const session1 = await stored();
  log('session', session1 && session1.id);
  await theirs(reply1).waitFor({ timeout: 60000 });
  const afterReply = await messages();
  await screenshot('2-open-with-messages');
  // The agent's message reached READ through the widget's markRead.
  await until('markRead to answer READ', () => reads.some((r) => r.some((m) => m.status === 'READ')));

  // 2. A reload continues the chat.
  await page.reload();
  await launcher.waitFor();
  await launcher.click();
  await theirs(reply1).waitFor();
  await mineSent(text1).waitFor();
  const afterReload = { session: await stored(), messages: await messages(), focus: await focused() };

  // 3. The agent drops our socket and answers while it is down.
  const socketsBefore = sockets.length;
  await textarea.fill(text2);
  await page.locator('button.send').click();
  await mineSent(text2).waitFor();
  await theirs(reply2).waitFor({ timeout: 60000 });
  const afterGap = {
    messages: await messages(), newSockets: sockets.length - socketsBefore,
    reply2Live: received.some((p) => p.includes(reply2)), // false when it came from the history fetched after reconnecting
  };

  // 3b. Sending on a bad network: an answer that is lost after the server
  // took the message, then a request that never gets through (Retry).
  let lose = 'answer';
  await page.route('**/query', async (route) => {
    if (!(route.request().postData() || '').includes('sendMessage') || !lose) return route.fallback();
    const what = lose;
    lose = '';
    if (what === 'answer') await route.fetch(); // the server has it; the widget never hears back
    return route.abort('connectionreset');
  });
  await textarea.fill(lost);
  await textarea.press('Enter');
  await mineSent(lost).waitFor();
  lose = 'request';
  await textarea.fill(retried);
  await textarea.press('Enter');
  const failed = page.locator('li.mine.failed', { hasText: retried });
  await failed.waitFor();
  const failedMeta = await failed.locator('.meta').textContent();
  await screenshot('2b-failed');
  await failed.locator('button.retry').click();
  await mineSent(retried).waitFor();
  await page.unroute('**/query');
  const afterRetry = await messages();

  // 4. Phone width.
  await page.setViewportSize({ width: 390, height: 740 });
  await page.waitForTimeout(200);
  const mobile = { panel: await panel.boundingBox(), launcherVisible: await launcher.isVisible() };
  await screenshot('3-mobile-open');
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'hidden' });
  const afterEscape = { focus: await focused(), expanded: await launcher.getAttribute('aria-expanded') };

  // 4b. An answer while the panel is closed: a badge, and READ only once opened.
  const sent = await agent('mutation($c:ID!,$t:String!){ sendMessage(input:{conversationId:$c, text:$t}){ id } }',
    { c: afterReload.session.id, t: reply3 });
  const reply3Id = sent.data.sendMessage.id;
  await page.locator('.badge', { hasText: '1' }).waitFor();
  await page.waitForTimeout(1500); // time enough for a wrong markRead
  const whileClosed = { label: await launcher.getAttribute('aria-label'), status: await statusOf(reply3Id) };
  await screenshot('4-mobile-closed-badge');
  await launcher.click();
  await theirs(reply3).waitFor();
  await until('the reply to be READ', async () => (await statusOf(reply3Id)) === 'READ');
  const afterOpen = { badgeVisible: await page.locator('.badge').isVisible() };
  await page.keyboard.press('Escape');
  await page.setViewportSize({ width: 1280, height: 800 });

  // 5. The token is revoked (here by the visitor's own logout): start over.
  const revoked = await page.evaluate(async (s) => {
    const res = await fetch('/query', {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + s.token },
      body: JSON.stringify({ query: 'mutation { logout }' }),
    });
    return res.json();
  }, afterReload.session);
  await launcher.click();
  const ended = page.locator('.status', { hasText: 'This chat has ended' });
  await ended.waitFor({ timeout: 30000 });
  const afterRefusal = { stored: await stored(), messages: await messages(), introVisible: await page.locator('.intro').isVisible() };
  await screenshot('5-ended');
  await textarea.fill(text3);
  await textarea.press('Enter');
  await mineSent(text3).waitFor();
  const restarted = { session: await stored(), messages: await messages() };
  await screenshot('6-new-chat');

  return {
    closed, opened, tooLong, badEmail, session1, afterReply, afterReload, afterGap, failedMeta, afterRetry, mobile, afterEscape, whileClosed, afterOpen,
    revoked, afterRefusal, restarted,
    sockets: sockets.map((s) => ({ url: s.url, sent: s.sent })),
  };
};
