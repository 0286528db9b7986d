// Two colleagues' pages connect a WebRTC call with Parley as the only
// signalling path: Ann starts it, Bob's page rings (events) and answers,
// offer/answer/ICE go through sendCallSignal and arrive as CALL_SIGNAL
// events. Resolves once both peer connections are `connected` and each
// side's inbound media bytes grow. See call_browser_test.go.
'use strict';

// client is evaluated in each page: a few lines of graphql-transport-ws and
// the call's client side, as README "Calls" describes.
function client({ token, device }) {
  const gql = async (query, variables) => {
    const r = await fetch('/query', { method: 'POST', body: JSON.stringify({ query, variables }),
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token } });
    const j = await r.json();
    if (j.errors) throw new Error(JSON.stringify(j.errors));
    return j.data;
  };
  const events = [];
  const waiters = [];
  const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/query', 'graphql-transport-ws');
  const acked = new Promise((resolve, reject) => {
    ws.onerror = () => reject(new Error('websocket failed'));
    ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer ' + token } }));
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === 'connection_ack') resolve();
      if (msg.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      if (msg.type === 'next' && msg.payload.data) {
        const e = msg.payload.data.events;
        events.push(e);
        for (const w of waiters.splice(0)) w();
        if (e.type === 'CALL_SIGNAL') onSignal(e.callSignal);
      }
    };
  });
  const next = (pred, what) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no ' + what)), 20000);
    const look = () => {
      const e = events.find(pred);
      if (e) { clearTimeout(timer); resolve(e); } else waiters.push(look);
    };
    look();
  });

  let pc, callId, peer, chain = Promise.resolve();
  const pending = {}; // per sending device: signals waiting for their turn
  const expected = {};
  const signal = (kind, payload) => gql(`mutation($c:ID!,$d:String!,$k:CallSignalKind!,$p:String!,$to:String){
    sendCallSignal(callId:$c, deviceId:$d, kind:$k, payload:$p, toDevice:$to){ seq } }`,
  { c: callId, d: device, k: kind, p: JSON.stringify(payload), to: peer });
  // Signals are applied in each sender's order (seq), one at a time.
  function onSignal(s) {
    if (s.call.id !== callId || (s.toDevice && s.toDevice !== device)) return;
    (pending[s.fromDevice] ||= {})[s.seq] = s;
    expected[s.fromDevice] ||= 1;
    while (pending[s.fromDevice][expected[s.fromDevice]]) {
      const sig = pending[s.fromDevice][expected[s.fromDevice]];
      delete pending[s.fromDevice][expected[s.fromDevice]++];
      chain = chain.then(() => apply(sig)).catch((err) => console.error('signal', err.message));
    }
  }
  // Candidates can overtake the description they belong to (the peer
  // gathers them while its offer is on its way): they wait for it.
  const early = [];
  async function described(d) {
    await pc.setRemoteDescription(d);
    for (const c of early.splice(0)) await pc.addIceCandidate(c);
  }
  async function apply(s) {
    const p = JSON.parse(s.payload);
    peer ||= s.fromDevice;
    if (s.kind === 'OFFER') {
      await described(p);
      await pc.setLocalDescription(await pc.createAnswer());
      await signal('ANSWER', pc.localDescription);
    } else if (s.kind === 'ANSWER') {
      await described(p);
    } else if (s.kind === 'ICE_CANDIDATE') {
      if (pc.remoteDescription) await pc.addIceCandidate(p);
      else early.push(p);
    }
  }
  async function peerConnection() {
    const { node } = await gql(`query($id:ID!){ node(id:$id){ ... on Call { iceServers { urls username credential } } } }`, { id: callId });
    pc = new RTCPeerConnection({ iceServers: node.iceServers });
    pc.onicecandidate = (e) => { if (e.candidate) signal('ICE_CANDIDATE', e.candidate.toJSON()); };
    const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    for (const track of media.getTracks()) pc.addTrack(track, media);
  }
  const eventsQuery = `subscription { events { type message { id } call { id state answeredDevice }
    callSignal { call { id } fromDevice toDevice kind payload seq } } }`;

  window.call = {
    async connect() {
      await acked;
      ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: eventsQuery } }));
    },
    // A message in the chat shows the stream is live before the call rings.
    say: (conversationId) => gql(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"calling you"}){ id } }`, { c: conversationId }),
    // Whether the stream has carried a message within ms (a subscription
    // starts on the server a moment after it is sent: the caller says
    // again until both streams hear it).
    heard: (ms) => new Promise((resolve) => {
      const deadline = Date.now() + ms;
      const look = () => {
        if (events.some((e) => e.type === 'MESSAGE_ADDED')) return resolve(true);
        if (Date.now() > deadline) return resolve(false);
        setTimeout(look, 50);
      };
      look();
    }),
    // The caller: starts the call, waits until its own stream says it rings.
    async start(conversationId) {
      const d = await gql(`mutation($c:ID!,$d:String){ startCall(conversationId:$c, media:VIDEO, deviceId:$d){ id } }`,
        { c: conversationId, d: device });
      callId = d.startCall.id;
      await next((e) => e.type === 'CALL_UPDATED' && e.call.id === callId, 'ringing on the caller');
      return callId;
    },
    // The callee: rings, answers from this device.
    async answer() {
      const e = await next((e) => e.type === 'CALL_UPDATED' && e.call.state === 'RINGING', 'ringing');
      callId = e.call.id;
      await peerConnection();
      await gql(`mutation($id:ID!,$d:String){ answerCall(id:$id, deviceId:$d){ id } }`, { id: callId, d: device });
    },
    // The caller, once answered: offers to the device that answered.
    async offer() {
      const e = await next((e) => e.type === 'CALL_UPDATED' && e.call.id === callId && e.call.state === 'ACTIVE', 'the answer');
      peer = e.call.answeredDevice;
      await peerConnection();
      await pc.setLocalDescription(await pc.createOffer());
      await signal('OFFER', pc.localDescription);
    },
    async connected() {
      const deadline = Date.now() + 20000;
      while (pc.connectionState !== 'connected') {
        if (Date.now() > deadline || pc.connectionState === 'failed') throw new Error('connection ' + pc.connectionState);
        await new Promise((r) => setTimeout(r, 100));
      }
      return pc.connectionState;
    },
    async inboundBytes() {
      let bytes = 0, frames = 0;
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp') { bytes += r.bytesReceived || 0; frames += r.framesDecoded || 0; }
      });
      return { bytes, frames };
    },
  };
}

module.exports = async ({ context, page, url, params, log }) => {
  const ann = page;
  const bob = await context.newPage();
  for (const p of [ann, bob]) await p.goto(url + '/healthz');
  await ann.evaluate(client, { token: params.annToken, device: 'ann-laptop' });
  await bob.evaluate(client, { token: params.bobToken, device: 'bob-desk' });
  await Promise.all([ann.evaluate(() => window.call.connect()), bob.evaluate(() => window.call.connect())]);
  // Both streams are live (each hears the message) before the call rings.
  for (let i = 0; ; i++) {
    await ann.evaluate((c) => window.call.say(c), params.conversation);
    const heard = await Promise.all([ann, bob].map((p) => p.evaluate(() => window.call.heard(1000))));
    if (heard.every(Boolean)) break;
    if (i === 20) throw new Error('the event streams never carried a message');
  }
  const answered = bob.evaluate(() => window.call.answer());
  const callId = await ann.evaluate((c) => window.call.start(c), params.conversation);
  log('call', callId);
  await answered;
  await ann.evaluate(() => window.call.offer());
  const states = await Promise.all([ann, bob].map((p) => p.evaluate(() => window.call.connected())));
  log('connected', states);
  const result = {};
  for (const [name, p] of [['ann', ann], ['bob', bob]]) {
    const first = await p.evaluate(() => window.call.inboundBytes());
    let later = first;
    for (let i = 0; i < 50 && (later.bytes <= first.bytes || later.frames === 0); i++) {
      await p.waitForTimeout(100);
      later = await p.evaluate(() => window.call.inboundBytes());
    }
    result[name] = { state: await p.evaluate(() => window.call.connected()), first, later };
  }
  return result;
};
