// A stock graphql-ws client, set up as README "Reconnecting" says, subscribed
// to events through a server restart: run by TestGraphQLWSClientResumes.
//
// Environment: URL (ws://…/query), TOKEN, SINCE (the cursor the app kept,
// may be empty), SUBSCRIBE_SINCE ("kept": the subscribe names SINCE, "null":
// it names none). It prints one JSON line per thing that happens
// ({connected}, {closed: code}, {message: text}, {error}); it reads lines from
// stdin: {retry: url} lets the waiting retry go on to url, {done: true} ends.
'use strict';

const readline = require('node:readline');
const WebSocket = require('ws');
const { createClient } = require('graphql-ws');

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
let url = process.env.URL;
const retries = []; // retryWait calls waiting for the test's go-ahead
let goAhead = 0; // go-aheads that came before their retryWait

// --- README "Reconnecting", for graphql-ws
let lastCursor = process.env.SINCE || null;
const client = createClient({
  url: () => url,
  webSocketImpl: WebSocket,
  retryAttempts: 5,
  // connectionParams is evaluated on every (re)connect.
  connectionParams: () => ({ authorization: 'Bearer ' + process.env.TOKEN, since: lastCursor }),
  // The test decides when the retry happens, so that messages surely go out while the client is away.
  retryWait: () => new Promise((resolve) => {
    if (goAhead > 0) { goAhead--; resolve(); } else retries.push(resolve);
  }),
  on: {
    connected: () => out({ connected: true }),
    closed: (e) => out({ closed: e && e.code }),
  },
});
const since = process.env.SUBSCRIBE_SINCE === 'kept' ? lastCursor : null;
const dispose = client.subscribe(
  { query: 'subscription($s:String){ events(since:$s){ cursor type message { text } } }', variables: { s: since } },
  {
    next: ({ data, errors }) => {
      if (errors) return out({ error: errors });
      lastCursor = data.events.cursor; // ---
      if (data.events.type === 'MESSAGE_ADDED') out({ message: data.events.message.text });
    },
    error: (e) => out({ error: String((e && e.code) || e) }),
    complete: () => out({ complete: true }),
  },
);

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.retry) {
    url = m.retry;
    const go = retries.shift();
    if (go) go(); else goAhead++;
  }
  if (m.done) {
    dispose();
    client.dispose();
    process.exit(0);
  }
});
