/*
 * Parley Live Chat widget: a chat button for any website. One file, no
 * dependencies, no build step.
 *
 *   <script src="https://parley.example.com/livechat/widget.js"
 *           data-channel="LIVE_CHAT channel id"
 *           data-parley-url="https://parley.example.com" async></script>
 *
 * It is a Live Chat visitor of Parley's GraphQL API: startLiveChat gives a
 * token for one session (kept in localStorage per channel, so a reload goes
 * on with the same chat), sendMessage sends, markRead tells the agent their
 * answer was seen, and messageAdded arrives over a WebSocket speaking
 * graphql-transport-ws. The site's origin must be in PARLEY_CORS_ORIGINS.
 * Message text only ever reaches the page as text nodes.
 */
(() => {
  'use strict';

  const script = document.currentScript || document.querySelector('script[data-channel][src*="/livechat/widget.js"]');
  if (!script || window.__parleyLiveChat) return; // embedded twice: the first one wins
  const channel = script.dataset.channel;
  if (!channel) { console.warn('Parley Live Chat: the script tag has no data-channel'); return; }
  window.__parleyLiveChat = true;
  const endpoint = (script.dataset.parleyUrl || new URL(script.src, location.href).origin).replace(/\/+$/, '') + '/query';
  const storageKey = 'parley.livechat.' + channel;

  const FIELDS = 'id text direction kind status createdAt clientMessageId sender { name }';
  const Q = {
    start: 'mutation($c:ID!,$n:String,$e:String){ startLiveChat(channelId:$c, name:$n, email:$e){ token session { id } } }',
    history: `query($id:ID!){ node(id:$id){ ... on Session { id messages(last: 50){ edges { node { ${FIELDS} } } } } } }`,
    send: `mutation($in:SendMessageInput!){ sendMessage(input:$in){ ${FIELDS} } }`,
    read: 'mutation($c:ID!){ markRead(conversationId:$c){ ... on Session { messages(last: 50){ edges { node { id status } } } } } }',
    live: `subscription($c:ID!){ messageAdded(conversationId:$c){ ${FIELDS} } }`,
  };
  // Errors that say this token's session is not ours to use any more.
  const GONE = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND']);

  let session = load(); // { token, id } or null
  let maxLength = 1000; // a Live Chat message's limit; the server may say otherwise
  let isOpen = false;
  const messages = new Map(); // key: the server's id, or 'local:' + clientMessageId until it has one
  let localSeq = 0;

  // ---- storage (may be unavailable: private modes, blocked third-party storage)

  function load() {
    try { const s = JSON.parse(localStorage.getItem(storageKey)); return s && s.token && s.id ? s : null; } catch (e) { return null; }
  }
  function save(s) { // without storage the chat still works until the page closes
    try { if (s) localStorage.setItem(storageKey, JSON.stringify(s)); else localStorage.removeItem(storageKey); } catch (e) { /* */ }
  }

  // ---- GraphQL over HTTP

  async function gql(query, variables, token) {
    const headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 20000); // mobile networks hang rather than fail
    let body;
    try {
      const res = await fetch(endpoint, {
        method: 'POST', headers, body: JSON.stringify({ query, variables }), credentials: 'omit', signal: abort.signal,
      });
      body = await res.json();
    } catch (e) {
      throw apiError({ message: String(e), extensions: { code: 'NETWORK' } });
    } finally {
      clearTimeout(timer);
    }
    if (body.errors && body.errors.length) throw apiError(body.errors[0]);
    return body.data;
  }
  function apiError(e) {
    const ext = (e && e.extensions) || {};
    return Object.assign(new Error(e && e.message), { code: ext.code || 'INTERNAL', ext });
  }

  // human turns an API error into something a visitor can act on.
  function human(e) {
    switch (e.code) {
      case 'NETWORK': return 'We could not reach the chat. Check your connection and try again.';
      case 'RATE_LIMITED': return 'That was a lot at once. Please wait a moment, then try again.';
      case 'TEXT_TOO_LONG':
        if (e.ext.max) maxLength = e.ext.max;
        return `That message is too long: ${maxLength} characters at most.`;
      case 'BAD_USER_INPUT':
        if (e.ext.field === 'email') return 'Please check your e-mail address.';
        if (e.ext.field === 'name') return 'Please use a shorter name.';
        return 'That message could not be sent.';
      case 'NOT_FOUND': case 'CHANNEL_SYNC_LOST': case 'PLAN_REQUIRED':
        return 'Sorry, this chat is not available right now.';
      default: return 'Something went wrong. Please try again.';
    }
  }

  // ---- the page: everything lives in a shadow root, away from the site's CSS

  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') n.className = v;
      else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
      else if (v === true) n.setAttribute(k, '');
      else if (v !== false && v != null) n.setAttribute(k, v);
    }
    n.append(...children); // strings become text nodes
    return n;
  }
  function icon(d, cls) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    const path = document.createElementNS(ns, 'path');
    for (const [k, v] of [['viewBox', '0 0 24 24'], ['aria-hidden', 'true'], ['class', cls || '']]) svg.setAttribute(k, v);
    path.setAttribute('d', d);
    svg.append(path);
    return svg;
  }

  const CSS = `
:host{all:initial}
*{box-sizing:border-box}
[hidden]{display:none!important}
.root{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2937}
button,input,textarea{font:inherit;color:inherit}
:focus-visible{outline:2px solid #f59e0b;outline-offset:2px}input:focus-visible,textarea:focus-visible{outline:2px solid #1d4ed8;outline-offset:-1px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;border:0;border-radius:50%;
  background:#1d4ed8;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center}
.launcher:hover{background:#1e40af}
.launcher svg{width:28px;height:28px;fill:currentColor}
.launcher .down,.open .launcher .chat{display:none}.open .launcher .down{display:block}
.badge{position:absolute;top:-2px;right:-2px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;
  background:#dc2626;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center}
.panel{position:fixed;right:20px;bottom:92px;z-index:2147483001;width:370px;height:min(580px,calc(100vh - 112px));
  display:flex;flex-direction:column;background:#fff;border-radius:14px;overflow:hidden;box-shadow:0 12px 40px rgba(0,0,0,.28)}
header{display:flex;align-items:center;gap:8px;padding:14px 12px 14px 18px;background:#1d4ed8;color:#fff}
h2{flex:1;margin:0;font-size:17px;font-weight:600}
.close{width:36px;height:36px;border:0;border-radius:8px;background:transparent;color:#fff;cursor:pointer;font-size:26px;line-height:1}
.close:hover{background:rgba(255,255,255,.18)}
.body{flex:1;overflow-y:auto;padding:14px;background:#f3f4f6}
.intro{background:#fff;border-radius:10px;padding:12px 14px;margin-bottom:12px}
.intro p{margin:0 0 10px}.intro label{display:block;font-size:13px;color:#4b5563;margin-top:8px}
.intro input{display:block;width:100%;margin-top:3px;padding:8px 10px;border:1px solid #9ca3af;border-radius:8px;font-size:16px;background:#fff}
ol{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:10px}
li{display:flex;flex-direction:column;max-width:82%}
li.mine{align-self:flex-end;align-items:flex-end}li.theirs{align-self:flex-start;align-items:flex-start}
li.system{align-self:center;max-width:92%;text-align:center;color:#4b5563;font-size:13px}
.name{font-size:12px;font-weight:600;color:#374151;margin:0 0 2px 4px}
.bubble{padding:8px 12px;border-radius:16px;white-space:pre-wrap;overflow-wrap:anywhere}
.mine .bubble{background:#1d4ed8;color:#fff;border-bottom-right-radius:4px}
.theirs .bubble{background:#fff;border-bottom-left-radius:4px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.pending .bubble{opacity:.65}.failed .bubble{background:#fee2e2;color:#7f1d1d}
.meta{font-size:11px;color:#6b7280;margin:3px 4px 0}
.mine .meta{text-align:right}.failed .meta{color:#b91c1c}
.retry{border:0;background:none;padding:0 0 0 6px;color:#1d4ed8;text-decoration:underline;cursor:pointer;font-size:12px}
.status{margin:0;padding:6px 14px;font-size:13px;background:#fffbeb;color:#92400e;border-top:1px solid #fde68a}.status:empty{display:none}
form{display:flex;align-items:flex-end;gap:8px;padding:10px;border-top:1px solid #e5e7eb;background:#fff}
textarea{flex:1;resize:none;max-height:120px;padding:9px 12px;border:1px solid #9ca3af;border-radius:18px;font-size:16px;line-height:1.35}
.send{width:40px;height:40px;flex:none;border:0;border-radius:50%;background:#1d4ed8;color:#fff;cursor:pointer;display:grid;place-items:center}
.send:disabled{background:#9ca3af;cursor:default}.send svg{width:20px;height:20px;fill:currentColor}
.counter{font-size:11px;color:#6b7280;padding:0 14px 6px;text-align:right;background:#fff}.counter.over{color:#b91c1c;font-weight:600}
@media (max-width:480px){.panel{inset:0;width:auto;height:auto;border-radius:0}.open .launcher{display:none}}`;

  const host = el('div', { id: 'parley-livechat' });
  const root = host.attachShadow({ mode: 'open' });
  try { // a constructed sheet works under a site's strict style-src
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.append(el('style', {}, CSS));
  }

  const title = script.dataset.title || 'Chat with us';
  const badge = el('span', { class: 'badge', 'aria-hidden': 'true', hidden: true });
  const launcher = el('button', {
    type: 'button', class: 'launcher', 'aria-label': 'Open chat', 'aria-expanded': 'false', 'aria-controls': 'panel', onclick: () => toggle(!isOpen),
  }, icon('M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2z', 'chat'),
  icon('M6.4 8.6 12 14.2l5.6-5.6L19 10l-7 7-7-7z', 'down'), badge);
  const nameInput = el('input', { id: 'name', type: 'text', autocomplete: 'name', maxlength: '200' });
  const emailInput = el('input', { id: 'email', type: 'email', autocomplete: 'email', maxlength: '320' });
  const intro = el('div', { class: 'intro' },
    el('p', {}, 'Hi! Ask us anything, and we will answer here.'),
    el('label', { for: 'name' }, 'Your name (optional)'), nameInput,
    el('label', { for: 'email' }, 'E-mail, so we can follow up (optional)'), emailInput);
  const list = el('ol', { role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages' });
  const body = el('div', { class: 'body', onscroll: () => maybeMarkRead() }, intro, list);
  const status = el('p', { class: 'status', role: 'status' });
  const input = el('textarea', {
    id: 'text', rows: '1', placeholder: 'Write a message…', enterkeyhint: 'send',
    oninput: () => { autosize(); updateCounter(); },
    onkeydown: (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit(); }
    },
  });
  const sendButton = el('button', { type: 'submit', class: 'send', 'aria-label': 'Send', disabled: true },
    icon('M3 20.5 21 12 3 3.5 3 10l12 2-12 2z'));
  const counter = el('div', { class: 'counter', hidden: true });
  const form = el('form', { onsubmit: submit }, el('label', { class: 'sr', for: 'text' }, 'Message'), input, sendButton);
  const panel = el('div', {
    id: 'panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'title', hidden: true,
    onkeydown: (ev) => { if (ev.key === 'Escape') { ev.stopPropagation(); toggle(false); } },
  }, el('header', {}, el('h2', { id: 'title' }, title),
    el('button', { type: 'button', class: 'close', 'aria-label': 'Close chat', onclick: () => toggle(false) }, '×')),
  body, status, counter, form);
  const frame = el('div', { class: 'root' }, panel, launcher);
  root.append(frame);

  function toggle(open) {
    isOpen = open;
    panel.hidden = !open;
    frame.classList.toggle('open', open);
    launcher.setAttribute('aria-expanded', String(open));
    render();
    if (open) {
      body.scrollTop = body.scrollHeight;
      input.focus({ preventScroll: true });
      maybeMarkRead();
    } else {
      launcher.focus({ preventScroll: true });
    }
  }
  function setStatus(text) { status.textContent = text || ''; }
  function autosize() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, 120) + 'px';
  }
  function updateCounter() {
    const n = [...input.value.trim()].length; // characters as the server counts them
    counter.hidden = n < maxLength * 0.9;
    counter.textContent = `${n} / ${maxLength}`;
    counter.classList.toggle('over', n > maxLength);
    sendButton.disabled = n === 0 || n > maxLength;
  }

  // ---- messages

  function upsert(m) {
    if (!m || !m.id) return;
    const prev = messages.get(m.id);
    if (m.clientMessageId) messages.delete('local:' + m.clientMessageId);
    messages.set(m.id, {
      key: m.id, id: m.id, text: m.text || '', mine: m.direction === 'INBOUND', system: m.kind === 'SYSTEM',
      name: m.sender && m.sender.name, at: m.createdAt, read: m.status === 'READ' || !!(prev && prev.read),
    });
  }
  const unread = () => [...messages.values()].filter((m) => m.id && !m.mine && !m.system && !m.read);
  const nodes = new Map(); // message key -> its <li>
  const time = (at) => (at ? new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '');

  function render() {
    const stick = body.scrollHeight - body.scrollTop - body.clientHeight < 60;
    // Server ids are time-ordered; messages still on their way stay last.
    const sorted = [...messages.values()].sort((a, b) =>
      (a.id ? 0 : 1) - (b.id ? 0 : 1) || (a.id ? (a.id < b.id ? -1 : 1) : a.seq - b.seq));
    for (const [key, li] of nodes) if (!messages.has(key)) { li.remove(); nodes.delete(key); }
    for (const m of sorted) {
      let li = nodes.get(m.key);
      const sig = [m.text, m.state, m.error, m.name].join('\n');
      if (!li || li.sig !== sig) {
        const fresh = el('li', { class: (m.system ? 'system' : m.mine ? 'mine' : 'theirs') + (m.state ? ' ' + m.state : '') });
        if (m.mine) fresh.append(el('span', { class: 'sr' }, 'You: '));
        else if (!m.system) fresh.append(el('span', { class: 'name' }, m.name || 'Support'));
        fresh.append(el('div', { class: 'bubble' }, m.text));
        const meta = el('div', { class: 'meta' });
        if (m.state === 'pending') meta.append('Sending…');
        else if (m.state === 'failed') {
          meta.append('Not sent. ' + m.error,
            // This button is replaced as the message re-renders: keep focus in the chat.
            el('button', { type: 'button', class: 'retry', onclick: () => { input.focus(); deliver(m); } }, 'Retry'));
        } else meta.append(time(m.at));
        fresh.append(meta);
        fresh.sig = sig;
        if (li) li.replaceWith(fresh);
        li = fresh;
        nodes.set(m.key, li);
      }
      list.append(li); // moves it into order; a no-op when it is already there
    }
    if (stick) body.scrollTop = body.scrollHeight;
    intro.hidden = !!session || messages.size > 0;
    const n = isOpen ? 0 : unread().length;
    badge.hidden = n === 0; badge.textContent = String(n);
    launcher.setAttribute('aria-label', isOpen ? 'Close chat' : n ? `Open chat (${n} unread)` : 'Open chat');
  }

  // ---- starting, sending, reading

  let starting = null;
  function ensureSession() {
    if (session) return Promise.resolve(session);
    if (!starting) {
      starting = gql(Q.start, { c: channel, n: nameInput.value.trim() || null, e: emailInput.value.trim() || null })
        .then((d) => {
          session = { token: d.startLiveChat.token, id: d.startLiveChat.session.id };
          save(session); connect();
          return session;
        })
        .finally(() => { starting = null; });
    }
    return starting;
  }

  function submit(ev) {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text || [...text].length > maxLength) return;
    const cid = randomId();
    const m = { key: 'local:' + cid, cid, text, mine: true, state: 'pending', seq: ++localSeq };
    messages.set(m.key, m);
    input.value = '';
    autosize(); updateCounter(); setStatus(''); render();
    body.scrollTop = body.scrollHeight;
    input.focus(); // the send button, if clicked, is now disabled and would drop focus
    deliver(m);
  }

  // deliver sends (or resends) a message. Its clientMessageId stays the same,
  // so a retry after a lost answer returns the first message, never a copy.
  async function deliver(m) {
    m.state = 'pending'; m.error = ''; render();
    let s = null;
    try {
      s = await ensureSession();
      const d = await gql(Q.send, { in: { conversationId: s.id, text: m.text, clientMessageId: m.cid } }, s.token);
      upsert(d.sendMessage);
    } catch (e) {
      if (messages.get(m.key) !== m) return; // confirmed meanwhile, or the chat was reset
      if (s && s === session && GONE.has(e.code)) return refused();
      if (e.code === 'TEXT_TOO_LONG' || e.code === 'BAD_USER_INPUT') {
        // Sending it again cannot help: give the text back to edit.
        messages.delete(m.key);
        if (!input.value) input.value = m.text;
        setStatus(human(e));
        updateCounter();
        render(); // shows the name and e-mail fields again if this was the first message
        (e.ext.field === 'email' ? emailInput : input).focus();
      } else {
        m.state = 'failed'; m.error = human(e);
        m.auto = e.code === 'NETWORK'; // resent by itself once the connection is back
      }
    }
    render();
  }

  function randomId() {
    const b = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  async function loadHistory() {
    const s = session;
    if (!s) return;
    try {
      const d = await gql(Q.history, { id: s.id }, s.token);
      if (s !== session) return;
      if (!d.node) return refused();
      for (const e of d.node.messages.edges) upsert(e.node);
      render();
      maybeMarkRead();
    } catch (e) {
      if (s === session && GONE.has(e.code)) refused();
      // Otherwise the next (re)connection loads it again.
    }
  }

  // The agent sees READ once the visitor has had the chance to see the reply:
  // panel open, page visible, scrolled to the end.
  let readTimer = null, readTries = 0;
  function maybeMarkRead() {
    if (!isOpen || !session || document.visibilityState !== 'visible' || !unread().length) return;
    if (readTimer || body.scrollHeight - body.scrollTop - body.clientHeight > 60) return;
    readTimer = setTimeout(markRead, 250); // one call for a burst of messages
  }
  async function markRead() {
    readTimer = null;
    const s = session;
    if (!s) return;
    try {
      const d = await gql(Q.read, { c: s.id }, s.token);
      let waiting = false;
      for (const { node } of d.markRead.messages.edges) {
        const m = messages.get(node.id);
        if (!m || m.mine) continue;
        // A reply is READ only once handed over (SENT); one still PENDING
        // gets another markRead shortly. A FAILED one never will.
        if (node.status === 'READ' || node.status === 'FAILED') m.read = true;
        else waiting = true;
      }
      render();
      readTries = waiting ? readTries + 1 : 0;
      if (waiting && readTries < 20) readTimer = setTimeout(markRead, 1000);
    } catch (e) {
      if (s === session && GONE.has(e.code)) refused();
    }
  }

  // refused starts over cleanly when the server no longer takes the token:
  // forget it, clear the chat, and keep what the visitor had not sent yet.
  function refused() {
    const unsent = [...messages.values()].filter((m) => m.state).map((m) => m.text);
    session = null; save(null); dropSocket(); messages.clear();
    if (unsent.length && !input.value.trim()) input.value = unsent.join('\n\n');
    updateCounter();
    render();
    setStatus('This chat has ended. Write to us to start a new one.');
  }

  // ---- live messages: graphql-transport-ws, by hand

  let ws = null; // the open (or opening) socket
  let wsTries = 0, wsTimer = null, watchdog = null;

  function connect() {
    clearTimeout(wsTimer);
    if (!session || ws) return;
    const s = session;
    const sock = new WebSocket(endpoint.replace(/^http/, 'ws'), 'graphql-transport-ws');
    ws = sock;
    const sendFrame = (msg) => sock.readyState === WebSocket.OPEN && sock.send(JSON.stringify(msg));
    // The server pings every 30 s; a link that goes silent for longer is dead
    // even if the browser has not noticed (a phone that changed networks).
    const watch = (ms) => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => { if (ws === sock) { dropSocket(); reconnect(); } }, ms);
    };
    watch(15000);
    sock.onopen = () => sendFrame({ type: 'connection_init', payload: { authorization: 'Bearer ' + s.token } });
    sock.onmessage = (ev) => {
      if (ws !== sock) return;
      watch(70000);
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      switch (msg.type) {
        case 'ping': sendFrame({ type: 'pong' }); break;
        case 'connection_ack':
          wsTries = 0;
          setStatus('');
          sendFrame({ id: '1', type: 'subscribe', payload: { query: Q.live, variables: { c: s.id } } });
          // Subscribed first, then read: whatever came while the socket was
          // down is in the history. The server may open the subscription
          // after it answers that read, so read once more when it surely has.
          loadHistory();
          setTimeout(() => { if (ws === sock) loadHistory(); }, 2000);
          for (const m of messages.values()) if (m.state === 'failed' && m.auto) deliver(m);
          break;
        case 'next': {
          const p = msg.payload || {};
          if (p.errors && p.errors.length) { handleSubError(p.errors[0]); break; }
          upsert(p.data && p.data.messageAdded); render(); maybeMarkRead();
          break;
        }
        case 'error': handleSubError((msg.payload || [])[0]); break;
        case 'complete': dropSocket(); reconnect(); break; // the server ended it: start again
      }
    };
    sock.onclose = (ev) => {
      if (ws !== sock) return;
      ws = null; clearTimeout(watchdog);
      if (ev.code === 4403) refused(); // the token was refused
      else reconnect();
    };
  }
  function handleSubError(err) {
    dropSocket();
    if (GONE.has(apiError(err).code)) refused(); else reconnect();
  }
  function dropSocket() {
    const sock = ws;
    ws = null;
    clearTimeout(watchdog);
    clearTimeout(wsTimer);
    if (sock) { sock.onclose = null; sock.onmessage = null; try { sock.close(1000); } catch (e) { /* already closed */ } }
  }
  // reconnect waits 1, 2, 4 … 30 s (with jitter, so a restarted server is not
  // hit by every visitor at once), or less when the browser says it is back.
  function reconnect() {
    if (!session) return;
    setStatus('Reconnecting…');
    const delay = Math.min(30000, 1000 * 2 ** wsTries++) * (0.5 + Math.random() / 2);
    clearTimeout(wsTimer);
    wsTimer = setTimeout(connect, delay);
  }
  window.addEventListener('online', () => { if (session && !ws) { wsTries = 0; connect(); } });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible') return;
    if (session && !ws) connect();
    maybeMarkRead();
  });

  // ---- start

  function mount() {
    document.body.append(host);
    updateCounter(); render();
    if (session) { loadHistory(); connect(); } // a reload goes on with the same chat
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
