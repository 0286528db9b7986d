// The widget on another site (run by browser_test.go): a page on another
// origin embeds widget.js from Parley without data-parley-url, and the
// visitor's message goes through (CORS) and an answer comes back over the
// WebSocket (its origin check), with both allowed by PARLEY_CORS_ORIGINS.
'use strict';

module.exports = async ({ page, params, log, screenshot }) => {
  const { site, parley, adminToken, text } = params; // site: the shop page's URL
  const frames = [];
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => { frames.push(String(f.payload)); log('ws received', String(f.payload).slice(0, 160)); });
  });
  await page.goto(site);
  await page.locator('button.launcher').click();
  await page.locator('textarea').fill(text);
  await page.locator('textarea').press('Enter');
  await page.locator('li.mine:not(.pending):not(.failed) .bubble', { hasText: text }).waitFor();
  // An answer comes over the WebSocket (sent by the admin once the
  // subscription has had time to start).
  const session = await page.evaluate(() => JSON.parse(localStorage.getItem(Object.keys(localStorage)[0])));
  await page.waitForTimeout(1000);
  const res = await page.request.post(parley + '/query', {
    headers: { Authorization: 'Bearer ' + adminToken },
    data: { query: 'mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"Hello, shopper"}){ id } }', variables: { c: session.id } },
  });
  log('admin answered', JSON.stringify(await res.json()));
  await page.locator('li.theirs .bubble', { hasText: 'Hello, shopper' }).waitFor();
  await screenshot('other-site');
  return {
    pageOrigin: await page.evaluate(() => location.origin),
    acked: frames.some((f) => f.includes('connection_ack')),
    live: frames.some((f) => f.includes('messageAdded') && f.includes('Hello, shopper')),
    stored: await page.evaluate(() => Object.keys(localStorage)),
  };
};
