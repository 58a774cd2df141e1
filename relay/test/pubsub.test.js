'use strict';
// pubsub mode against the real Pub/Sub emulator (testing/emulator.js starts
// one when PUBSUB_EMULATOR_HOST is unset): the exact bytes in `data`, the
// attributes, routing by site, 200 only once Pub/Sub accepted the message,
// 503 when it did not. Topics and subscriptions are made with the client's
// admin calls; messages are pulled over REST, as the gateway pulls them.

const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const crypto = require('node:crypto');
const {PubSub} = require('@google-cloud/pubsub');
const {emulator, stopEmulator, pullMessages, pullOnce, PROJECT} = require('../testing/emulator');
const {startRelay, post, postRaw, quietly, TOKEN, BAD_KINTONE_PATHS, bodyOfSize} = require('../testing/server');

test.after(stopEmulator);
// A failure must end as a failure, not a hang (a publish may never answer).
const LIMIT = {timeout: 30000};
/** What the gateway compares: SHA-256 of the token, hex. */
const sha256 = (token) => crypto.createHash('sha256').update(token).digest('hex');

let n = 0;
/** A fresh topic with one subscription (no filter: the emulator ignores them). */
async function freshTopic() {
  const host = await emulator();
  const client = new PubSub({projectId: PROJECT});
  const id = `webhooks-${process.pid}-${n++}`;
  const [topic] = await client.createTopic(id);
  const [sub] = await topic.createSubscription(`${id}-sub`);
  await client.close();
  return {host, topic: topic.name, subscription: sub.name};
}

const ev = (data) => ({type: 'postback', postback: {data}});

test('each LINE body arrives as data byte for byte, with its attributes', LIMIT, async () => {
  const {host, topic, subscription} = await freshTopic();
  const relay = await startRelay({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: topic, RELAY_SITES_KNOWN: 'main'});
  const bodies = [
    Buffer.from('{"destination":"U1","events":[{"type":"message","message":{"text":"😀 ✓ 確認しました"}}]}'),
    Buffer.from('{"destination":"U1","events":[{"type":"message","message":{"text":"\\ud83d\\ude00 \\u78ba"}}]}'),
    Buffer.from('{ "destination" :\t"U1" ,\r\n  "events" : [ ]\n}\n\n'),
    bodyOfSize(1024 * 1024),
  ];
  await quietly(async () => {
    for (const body of bodies) {
      const before = Date.now();
      const res = await post(`${relay.url}/line`, body, {'x-line-signature': 'c2lnbmF0dXJl'});
      const after = Date.now();
      assert.equal(res.status, 200);
      const [msg] = await pullMessages(host, subscription, 1);
      assert.ok(msg.data.equals(body), 'the body changed on the way');
      const {received_ms: received, ...rest} = msg.attributes;
      assert.deepEqual(rest, {
        signature: 'c2lnbmF0dXJl',
        content_type: 'application/json; charset=utf-8',
        source: 'line',
        site: 'main',
      });
      assert.match(received, /^[0-9]+$/);
      assert.ok(Number(received) >= before && Number(received) <= after, `received_ms ${received} not in [${before}, ${after}]`);
    }
    // Without a signature header there is no signature attribute (the board
    // refuses such a message as it refuses such a request).
    assert.equal((await post(`${relay.url}/line`, '{"events":[]}')).status, 200);
    const [unsigned] = await pullMessages(host, subscription, 1);
    assert.equal(unsigned.attributes.signature, undefined);
  });
  assert.deepEqual(await pullOnce(host, subscription), [], 'one message per webhook');
  await relay.close();
});

test('the 200 comes after Pub/Sub accepted: the message is there at once', LIMIT, async () => {
  const {host, topic, subscription} = await freshTopic();
  const relay = await startRelay({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: topic});
  await quietly(async () => {
    for (let i = 0; i < 5; i++) {
      const body = JSON.stringify({events: [{type: 'follow', n: i}]});
      assert.equal((await post(`${relay.url}/line`, body)).status, 200);
      const now = await pullOnce(host, subscription);
      assert.equal(now.length, 1, `webhook ${i}: answered 200 before its message was stored`);
      assert.equal(now[0].data.toString(), body);
    }
  });
  await relay.close();
});

test('postbacks carry the site they name; other events the default site; one message per site', LIMIT, async () => {
  const {host, topic, subscription} = await freshTopic();
  const relay = await startRelay({
    RELAY_MODE: 'pubsub',
    RELAY_PUBSUB_TOPIC: topic,
    RELAY_SITES_KNOWN: 'main,osaka',
    RELAY_DEFAULT_SITE: 'main',
  });
  const sitesOfNext = async (body) => {
    assert.equal((await post(`${relay.url}/line`, body, {'x-line-signature': 's'})).status, 200);
    const msgs = [];
    // Every message is stored before the 200; pull until none is left.
    for (let got = await pullOnce(host, subscription); got.length > 0; got = await pullOnce(host, subscription)) {
      msgs.push(...got);
    }
    for (const m of msgs) {
      assert.ok(m.data.equals(Buffer.from(body)), 'each message carries the whole body unchanged');
      assert.equal(m.attributes.signature, 's');
    }
    return msgs.map((m) => m.attributes.site).sort();
  };
  await quietly(async () => {
    assert.deepEqual(await sitesOfNext(JSON.stringify({events: [ev('ack:v1:osaka:1:5:abc')]})), ['osaka']);
    assert.deepEqual(await sitesOfNext(JSON.stringify({events: [ev('ack:v1::1:5:abc'), {type: 'follow'}]})), ['main']);
    assert.deepEqual(await sitesOfNext(JSON.stringify({events: [ev('something else')]})), ['main']);
    const mixed = JSON.stringify({events: [ev('ack:v1:osaka:1:5:a'), {type: 'follow'}, ev('ack:v1:osaka:1:6:b')]});
    assert.deepEqual(await sitesOfNext(mixed), ['main', 'osaka']);

    // A site not in RELAY_SITES_KNOWN: 404 as in forward mode, nothing
    // published (the next webhook's message is the only one there).
    const unknown = JSON.stringify({events: [ev('ack:v1:kyoto:1:5:a')]});
    assert.equal((await post(`${relay.url}/line`, unknown)).status, 404);
    assert.deepEqual(await sitesOfNext(JSON.stringify({events: [{type: 'follow'}]})), ['main']);
  });
  await relay.close();
});

test("kintone webhooks carry their path token's digest and their site; the token is never published or logged", LIMIT, async () => {
  const {host, topic, subscription} = await freshTopic();
  const relay = await startRelay({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: topic, RELAY_DEFAULT_SITE: 'main'});
  const body = Buffer.from('{"type":"UPDATE_STATUS","record":{"Title":{"value":"屋根 😀"}}}');
  await quietly(async (lines) => {
    assert.equal((await post(`${relay.url}/kintone/${TOKEN}`, body)).status, 200);
    const [first] = await pullMessages(host, subscription, 1);
    assert.ok(first.data.equals(body));
    const {received_ms: _, ...rest} = first.attributes;
    assert.deepEqual(rest, {
      content_type: 'application/json; charset=utf-8',
      source: 'kintone',
      site: 'main',
      kintone_token_sha256: sha256(TOKEN),
    });
    assert.equal((await post(`${relay.url}/kintone/osaka/tok-2-${TOKEN}`, body, {'x-line-signature': 'not-line'})).status, 200);
    const [second] = await pullMessages(host, subscription, 1);
    assert.equal(second.attributes.site, 'osaka');
    assert.equal(second.attributes.kintone_token_sha256, sha256(`tok-2-${TOKEN}`));
    assert.ok(!JSON.stringify([first, second].map((m) => m.attributes)).includes('tok-'), 'no token in Pub/Sub');
    assert.equal(second.attributes.signature, undefined, 'a LINE header on a kintone webhook is not passed on');
    assert.equal(lines.length, 2, 'one log line per message');
    assert.ok(!lines.join('\n').includes('tok-'), 'path tokens are secrets: never logged');
  });
  await relay.close();
});

test('LINE Notify calls are published with their bearer token\'s digest and answered "queued"; /api/status is 404', LIMIT, async () => {
  const {host, topic, subscription} = await freshTopic();
  const relay = await startRelay({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: topic, RELAY_DEFAULT_SITE: 'main'});
  const form = 'message=%E7%82%B9%E6%A4%9C%E3%81%8A%E3%82%8F%E3%82%8A';
  const asForm = {'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer api-${TOKEN}`};
  await quietly(async (lines) => {
    const res = await post(`${relay.url}/api/notify`, form, asForm);
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(await res.text()).status, 200, "LINE Notify's shape");
    const [msg] = await pullMessages(host, subscription, 1);
    assert.equal(msg.data.toString(), form, 'the form byte for byte');
    const {received_ms: _, ...rest} = msg.attributes;
    assert.deepEqual(rest, {
      content_type: 'application/x-www-form-urlencoded',
      source: 'notify_api',
      site: 'main',
      authorization_sha256: sha256(`api-${TOKEN}`),
    });
    assert.equal((await post(`${relay.url}/osaka/api/notify`, form, asForm)).status, 200);
    const [osaka] = await pullMessages(host, subscription, 1);
    assert.equal(osaka.attributes.site, 'osaka');
    // Not a bearer token: nothing the gateway could take, so none is sent.
    assert.equal((await post(`${relay.url}/api/notify`, form, {...asForm, authorization: `Basic api-${TOKEN}`})).status, 200);
    const [basic] = await pullMessages(host, subscription, 1);
    assert.equal(basic.attributes.authorization_sha256, undefined);
    assert.ok(!JSON.stringify(basic.attributes).includes(TOKEN));
    const status = await fetch(`${relay.url}/api/status`, {headers: {authorization: asForm.authorization}});
    assert.equal(status.status, 404, 'only the device can check a token');
    assert.ok(!lines.join('\n').includes(`api-${TOKEN}`), 'bearer tokens are never logged');
  });
  assert.deepEqual(await pullOnce(host, subscription), [], 'nothing else published');
  await relay.close();
});

test('kintone paths with dot segments, encoded slashes or odd characters are 404, nothing published', LIMIT, async () => {
  const {host, topic, subscription} = await freshTopic();
  // No RELAY_SITES_KNOWN: every well-formed site key would be published.
  const relay = await startRelay({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: topic, RELAY_DEFAULT_SITE: 'main'});
  await quietly(async () => {
    for (const path of BAD_KINTONE_PATHS) {
      assert.equal(await postRaw(relay.url, path), 404, path);
    }
    // Every message is stored before the 200: after a good webhook, it is
    // the only message there.
    assert.equal(await postRaw(relay.url, `/kintone/osaka/${TOKEN}`), 200);
  });
  const msgs = await pullOnce(host, subscription);
  assert.deepEqual(msgs.map((m) => [m.attributes.site, m.attributes.kintone_token_sha256]), [['osaka', sha256(TOKEN)]]);
  await relay.close();
});

test('a body of 1 MiB + 1 byte is 413 and not published; 1 MiB is', LIMIT, async () => {
  const {host, topic, subscription} = await freshTopic();
  const relay = await startRelay({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: topic, RELAY_DEFAULT_SITE: 'main'});
  const over = bodyOfSize(1024 * 1024 + 1);
  const edge = bodyOfSize(1024 * 1024);
  await quietly(async () => {
    assert.equal((await post(`${relay.url}/line`, over)).status, 413);
    assert.equal((await post(`${relay.url}/kintone/${TOKEN}`, over)).status, 413);
    assert.equal((await post(`${relay.url}/kintone/${TOKEN}`, edge)).status, 200);
  });
  const msgs = await pullOnce(host, subscription);
  assert.equal(msgs.length, 1, 'only the body of exactly 1 MiB was published');
  assert.ok(msgs[0].data.equals(edge));
  await relay.close();
});

test('a topic that does not exist: 503, so LINE redelivers', LIMIT, async () => {
  await emulator();
  const relay = await startRelay({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: `projects/${PROJECT}/topics/missing-${process.pid}`});
  await quietly(async (lines) => {
    const res = await post(`${relay.url}/line`, '{"events":[]}', {'x-line-signature': 'sig'});
    assert.equal(res.status, 503);
    assert.match(await res.text(), /could not be queued/);
    assert.equal(JSON.parse(lines[0]).error, 'publish failed (5)', 'NOT_FOUND, logged by its code');
  });
  await relay.close();
});

test('Pub/Sub that never answers: 503 at the relay deadline, not a 200', LIMIT, async () => {
  // A TCP listener that accepts and never speaks HTTP/2: the publish hangs.
  const sockets = [];
  const silent = net.createServer((s) => sockets.push(s));
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  const real = await emulator();
  process.env.PUBSUB_EMULATOR_HOST = `127.0.0.1:${silent.address().port}`;
  let relay;
  try {
    relay = await startRelay({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: `projects/${PROJECT}/topics/any`, RELAY_TIMEOUT_MS: '300'});
  } finally {
    process.env.PUBSUB_EMULATOR_HOST = real;
  }
  await quietly(async (lines) => {
    assert.equal((await post(`${relay.url}/line`, '{"events":[]}')).status, 503);
    assert.equal(JSON.parse(lines[0]).error, 'publish failed (TIMEOUT)');
  });
  await relay.close();
  sockets.forEach((s) => s.destroy());
  await new Promise((r) => silent.close(r));
});
