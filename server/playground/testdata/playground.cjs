// Browser test of the playground (run by browser_test.go through
// server/browsertest): GraphiQL renders from the server alone, a query runs
// over HTTP with the headers pane, and subscriptions run over WebSocket with
// the headers pane in connection_init. Returns what it saw; the Go test judges.
'use strict';

const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
const HEADERS_EDITOR = 'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror';
const RESPONSE = '.graphiql-response .CodeMirror';

module.exports = async ({ page, url, params, log, screenshot }) => {
  const { token } = params;
  const sockets = []; // every WebSocket the page opened, with its connection_init payload
  page.on('websocket', (ws) => {
    const s = { url: ws.url(), init: null, closed: false };
    sockets.push(s);
    ws.on('framesent', (f) => {
      log('ws sent', f.payload);
      const msg = JSON.parse(f.payload);
      if (msg.type === 'connection_init') s.init = msg.payload || {};
    });
    ws.on('framereceived', (f) => log('ws received', f.payload));
    ws.on('close', () => { s.closed = true; });
  });

  const getValue = (sel) => page.$eval(sel, (el) => el.CodeMirror.getValue());
  const setValue = (sel, v) => page.$eval(sel, (el, v) => el.CodeMirror.setValue(v), v);

  // run executes query (operation op) with the headers pane set to headers,
  // and returns the response pane as JSON once GraphiQL has finished.
  async function run(name, op, query, headers) {
    log('run', name);
    await setValue(QUERY_EDITOR, query);
    await setValue(HEADERS_EDITOR, headers);
    // GraphiQL takes the operation name from the editor after a debounce.
    await page.waitForFunction((op) => document.querySelector('.graphiql-tab-active').textContent === op, op);
    await setValue(RESPONSE, '');
    await page.click('.graphiql-execute-button');
    await page.waitForFunction((sel) => document.querySelector(sel).CodeMirror.getValue() !== '', RESPONSE);
    // A subscription keeps the button a "stop" button until it ends.
    await page.waitForSelector('.graphiql-execute-button[aria-label^="Execute"]');
    const text = await getValue(RESPONSE);
    log(name, '->', text.replace(/\s+/g, ' ').slice(0, 300));
    return JSON.parse(text);
  }

  // runLive starts a subscription, makes something happen (trigger), waits
  // for the first result, stops the subscription and returns the result.
  async function runLive(name, op, query, headers, trigger) {
    log('run live', name);
    await setValue(QUERY_EDITOR, query);
    await setValue(HEADERS_EDITOR, headers);
    await page.waitForFunction((op) => document.querySelector('.graphiql-tab-active').textContent === op, op);
    await setValue(RESPONSE, '');
    await page.click('.graphiql-execute-button');
    await page.waitForSelector('.graphiql-execute-button:not([aria-label^="Execute"])');
    await page.waitForTimeout(300); // the subscribe message is on its way
    await trigger();
    await page.waitForFunction((sel) => document.querySelector(sel).CodeMirror.getValue() !== '', RESPONSE);
    const text = await getValue(RESPONSE);
    await page.click('.graphiql-execute-button'); // stop
    await page.waitForSelector('.graphiql-execute-button[aria-label^="Execute"]');
    log(name, '->', text.replace(/\s+/g, ' ').slice(0, 300));
    return JSON.parse(text);
  }

  // Someone writes to the admin: the admin's badges change.
  const someoneWrites = () => page.evaluate(async ({ senderToken, chatId }) => {
    const res = await fetch('/query', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + senderToken },
      body: JSON.stringify({ query: 'mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"hello from the browser test"}){ id } }', variables: { c: chatId } }),
    });
    return res.status;
  }, params);

  const introspection = page.waitForResponse((r) => r.url().endsWith('/query') && r.request().method() === 'POST');
  await page.goto(url + '/');
  await page.waitForSelector(QUERY_EDITOR);
  const schemaStatus = (await introspection).status();
  const rendered = {
    defaultQuery: await getValue(QUERY_EDITOR),
    defaultHeaders: await getValue(HEADERS_EDITOR),
  };
  await screenshot('rendered');

  // The schema reached the UI: the Docs explorer lists the root types.
  await page.click('button[aria-label="Show Documentation Explorer"]');
  const docs = await page.waitForSelector('.graphiql-doc-explorer :text("Subscription")');
  const docsText = await page.$eval('.graphiql-doc-explorer', (el) => el.innerText);
  await screenshot('docs');
  await page.click('button[aria-label="Hide Documentation Explorer"]');
  await docs.waitForElementState('hidden');

  const bearer = JSON.stringify({ Authorization: 'Bearer ' + token }, null, 2);
  const meQuery = 'query Me { me { email } }';
  const meAnonymous = await run('me, placeholder headers', 'Me', meQuery, rendered.defaultHeaders);
  const me = await run('me, with token', 'Me', meQuery, bearer);
  await screenshot('query');

  const sub = 'subscription Badges { badgesUpdated { total } }';
  const subAnonymous = await run('subscription, placeholder headers', 'Badges', sub, rendered.defaultHeaders);
  const subToken = await runLive('subscription, with token', 'Badges', sub, bearer, someoneWrites);
  await screenshot('subscription');
  const started = Date.now();
  const subBadToken = await run('subscription, bad token', 'Badges', sub, JSON.stringify({ Authorization: 'Bearer nope' }));
  const badTokenMillis = Date.now() - started;
  await screenshot('subscription-bad-token');

  return { schemaStatus, rendered, docsText, meAnonymous, me, subAnonymous, subToken, subBadToken, badTokenMillis, sockets };
};
