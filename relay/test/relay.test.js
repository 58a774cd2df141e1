'use strict';
// Unit tests of the relay: forwarding byte for byte, routing by site,
// time-outs, a device that is down, and configuration checks. Devices are
// plain node:http servers on 127.0.0.1.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const {spawnSync} = require('node:child_process');
const {loadConfig} = require('../relay');
const {startRelay, post, quietly, TOKEN, bodyOfSize} = require('../testing/server');
const {startDevice} = require('../testing/device');

test('LINE bodies reach the device byte for byte, with signature and content type', async () => {
  const device = await startDevice({status: 200, body: '{"new":1}'});
  const relay = await startRelay({RELAY_SITES: `main=${device.url}`});
  const bodies = [
    Buffer.from('{"destination":"U1","events":[{"type":"message","message":{"text":"😀 ✓ 確認"}}]}'),
    Buffer.from('{"destination":"U1","events":[{"type":"message","message":{"text":"\\ud83d\\ude00"}}]}'),
    Buffer.from('{ "destination" :\t"U1" ,\r\n  "events" : [ ]\n}\n\n'),
    bodyOfSize(1024 * 1024),
  ];
  await quietly(async () => {
    for (const body of bodies) {
      const res = await post(`${relay.url}/line`, body, {'x-line-signature': 'c2lnbmF0dXJl'});
      assert.equal(res.status, 200);
      assert.equal(await res.text(), '{"new":1}');
      const got = device.requests.at(-1);
      assert.equal(got.url, '/line/webhook');
      assert.ok(got.body.equals(body), 'the body changed on the way');
      assert.equal(got.headers['x-line-signature'], 'c2lnbmF0dXJl');
      assert.equal(got.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(got.headers['x-relay-token'], undefined);
    }
  });
  assert.equal(device.requests.length, bodies.length);
  await relay.close();
  await device.close();
});

test("the device's answer is the relay's answer (a forged body stays a 401)", async () => {
  const device = await startDevice({status: 401, body: '{"error":"signature"}'});
  const relay = await startRelay({RELAY_SITES: `main=${device.url}`});
  await quietly(async () => {
    const res = await post(`${relay.url}/line`, '{"events":[]}', {'x-line-signature': 'bad'});
    assert.equal(res.status, 401);
    assert.equal(await res.text(), '{"error":"signature"}');
  });
  await relay.close();
  await device.close();
});

test('postbacks go to the site they name; other events to the default site', async () => {
  const main = await startDevice();
  const osaka = await startDevice();
  const relay = await startRelay({
    RELAY_SITES: `main=${main.url},osaka=${osaka.url}`,
    RELAY_DEFAULT_SITE: 'main',
  });
  const ev = (data) => ({type: 'postback', postback: {data}});
  await quietly(async () => {
    const toOsaka = JSON.stringify({events: [ev('ack:v1:osaka:1:5:abc')]});
    assert.equal((await post(`${relay.url}/line`, toOsaka)).status, 200);
    assert.equal(osaka.requests.length, 1);
    assert.equal(main.requests.length, 0);

    const noSite = JSON.stringify({events: [ev('ack:v1::1:5:abc'), {type: 'follow'}]});
    assert.equal((await post(`${relay.url}/line`, noSite)).status, 200);
    assert.equal(main.requests.length, 1);

    const foreign = JSON.stringify({events: [ev('something else')]});
    assert.equal((await post(`${relay.url}/line`, foreign)).status, 200);
    assert.equal(main.requests.length, 2);

    const mixed = JSON.stringify({events: [ev('ack:v1:osaka:1:5:a'), {type: 'follow'}]});
    assert.equal((await post(`${relay.url}/line`, mixed)).status, 200);
    assert.equal(main.requests.length, 3);
    assert.equal(osaka.requests.length, 2);
    assert.ok(osaka.requests[1].body.equals(Buffer.from(mixed)));

    // The functions framework parses JSON bodies before the function runs
    // and answers malformed JSON with 400 itself (as the device would).
    const notJson = '{not json';
    assert.equal((await post(`${relay.url}/line`, notJson)).status, 400);
    assert.equal(main.requests.length, 3);

    const unknown = JSON.stringify({events: [ev('ack:v1:kyoto:1:5:a')]});
    assert.equal((await post(`${relay.url}/line`, unknown)).status, 404);
    assert.equal(main.requests.length + osaka.requests.length, 5);
  });
  await relay.close();
  await main.close();
  await osaka.close();
});

test('when one of several sites fails, the relay answers its failure', async () => {
  const main = await startDevice();
  const osaka = await startDevice({status: 503, body: '{"error":"store"}'});
  const relay = await startRelay({RELAY_SITES: `main=${main.url},osaka=${osaka.url}`, RELAY_DEFAULT_SITE: 'main'});
  await quietly(async () => {
    const mixed = JSON.stringify({events: [{type: 'postback', postback: {data: 'ack:v1:osaka:1:5:a'}}, {type: 'follow'}]});
    const res = await post(`${relay.url}/line`, mixed);
    assert.equal(res.status, 503, 'LINE must redeliver; the healthy device deduplicates');
  });
  await relay.close();
  await main.close();
  await osaka.close();
});

test('kintone webhooks go to the device path with their token, unchanged', async () => {
  const main = await startDevice();
  const osaka = await startDevice();
  const relay = await startRelay({RELAY_SITES: `main=${main.url},osaka=${osaka.url}`, RELAY_DEFAULT_SITE: 'main'});
  const body = Buffer.from('{"type":"UPDATE_STATUS","record":{"Title":{"value":"屋根 😀"}}}');
  await quietly(async (lines) => {
    assert.equal((await post(`${relay.url}/kintone/${TOKEN}`, body)).status, 200);
    assert.equal(main.requests[0].url, `/kintone/webhook/${TOKEN}`);
    assert.ok(main.requests[0].body.equals(body));
    assert.equal((await post(`${relay.url}/kintone/osaka/tok-2-${TOKEN}`, body)).status, 200);
    assert.equal(osaka.requests[0].url, `/kintone/webhook/tok-2-${TOKEN}`);
    assert.ok(!lines.join('\n').includes('tok-'), 'path tokens are secrets: never logged');
  });
  await relay.close();
  await main.close();
  await osaka.close();
});

test('a slow device becomes a 504 before LINE gives up; a dead one a 502', async () => {
  const slow = await startDevice({delayMs: 1000});
  const relay = await startRelay({RELAY_SITES: `main=${slow.url}`, RELAY_TIMEOUT_MS: '200'});
  await quietly(async () => {
    const t0 = Date.now();
    const res = await post(`${relay.url}/line`, '{"events":[]}');
    assert.equal(res.status, 504);
    assert.ok(Date.now() - t0 < 900, 'answered at the relay deadline, not the device');
  });
  await relay.close();
  await slow.close();

  const gone = await startDevice();
  const url = gone.url;
  await gone.close();
  const relay2 = await startRelay({RELAY_SITES: `main=${url}`});
  await quietly(async () => {
    assert.equal((await post(`${relay2.url}/line`, '{"events":[]}')).status, 502);
  });
  await relay2.close();
});

test('the shared token goes to the device; logs carry no bodies or tokens', async () => {
  const device = await startDevice();
  const relay = await startRelay({RELAY_SITES: `main=${device.url}`, RELAY_DEVICE_TOKEN: 'relay-token-0123456789'});
  await quietly(async (lines) => {
    const body = '{"events":[{"type":"message","message":{"text":"secret words"}}]}';
    assert.equal((await post(`${relay.url}/line`, body, {'x-line-signature': 'sig'})).status, 200);
    assert.equal(device.requests[0].headers['x-relay-token'], 'relay-token-0123456789');
    assert.equal(lines.length, 1, 'one line per forward');
    const line = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(line).sort(), ['component', 'kind', 'ms', 'site', 'status']);
    assert.ok(!lines[0].includes('secret words') && !lines[0].includes('relay-token') && !lines[0].includes('sig'));
  });
  await relay.close();
  await device.close();
});

test('other paths are 404 and other methods 405, with nothing forwarded', async () => {
  const device = await startDevice();
  const relay = await startRelay({RELAY_SITES: `main=${device.url}`});
  await quietly(async () => {
    assert.equal((await post(`${relay.url}/`, '{}')).status, 404);
    assert.equal((await post(`${relay.url}/line/extra`, '{}')).status, 404);
    assert.equal((await fetch(`${relay.url}/line`)).status, 405);
  });
  assert.equal(device.requests.length, 0);
  await relay.close();
  await device.close();
});

test('bad settings are all reported, each with its variable', () => {
  assert.throws(() => loadConfig({}), /RELAY_SITES: required/);
  let message = '';
  try {
    loadConfig({
      RELAY_SITES: 'Main=https://a.example,b=ftp://b.example,c=not a url,d',
      RELAY_DEFAULT_SITE: 'x',
      RELAY_DEVICE_TOKEN: 'short',
      RELAY_TIMEOUT_MS: '5000',
    });
  } catch (e) {
    message = e.message;
  }
  for (const expected of [
    'site key "Main"',
    '"ftp://b.example" (site "b") must be http(s)',
    '"not a url" (site "c") is not a URL',
    '"d" is not key=url',
    'RELAY_DEFAULT_SITE: "x"',
    'RELAY_DEVICE_TOKEN',
    'RELAY_TIMEOUT_MS',
  ]) {
    assert.ok(message.includes(expected), `missing ${expected} in:\n${message}`);
  }
  const ok = loadConfig({RELAY_SITES: 'main=https://office.example.net/'});
  assert.equal(ok.defaultSite, 'main');
  assert.equal(ok.sites.get('main'), 'https://office.example.net');
  assert.equal(ok.timeoutMs, 1500);
});

test('the deployed entry point refuses to start on bad settings', () => {
  const bin = path.join(__dirname, '..', 'node_modules', '.bin', 'functions-framework');
  const r = spawnSync(bin, ['--target=relay', '--port=0'], {
    cwd: path.join(__dirname, '..'),
    env: {...process.env, RELAY_SITES: ''},
    encoding: 'utf8',
    timeout: 20000,
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr + r.stdout, /RELAY_SITES: required/);
});

test('the LINE Notify API goes to the device with its bearer token and comes back with its limits', async () => {
  const limits = {'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '999', 'x-ratelimit-reset': '1767229200'};
  const main = await startDevice({body: '{"status":200,"message":"ok"}', headers: limits});
  const osaka = await startDevice({status: 401, body: '{"status":401,"message":"Invalid access token"}'});
  const relay = await startRelay({RELAY_SITES: `main=${main.url},osaka=${osaka.url}`, RELAY_DEFAULT_SITE: 'main'});
  const form = 'message=%E7%82%B9%E6%A4%9C&stickerPackageId=446&stickerId=1988';
  await quietly(async (lines) => {
    const res = await post(`${relay.url}/api/notify`, form, {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Bearer tool-token-0123456789abcdef',
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '{"status":200,"message":"ok"}');
    for (const [k, v] of Object.entries(limits)) {
      assert.equal(res.headers.get(k), v, k);
    }
    const got = main.requests[0];
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/api/notify');
    assert.ok(got.body.equals(Buffer.from(form)), 'the form changed on the way');
    assert.equal(got.headers.authorization, 'Bearer tool-token-0123456789abcdef');
    assert.equal(got.headers['content-type'], 'application/x-www-form-urlencoded');

    const status = await fetch(`${relay.url}/api/status`, {headers: {authorization: 'Bearer t'}});
    assert.equal(status.status, 200);
    assert.equal(main.requests[1].method, 'GET');
    assert.equal(main.requests[1].url, '/api/status');

    const asForm = {'content-type': 'application/x-www-form-urlencoded'};
    const other = await post(`${relay.url}/osaka/api/notify`, form, {...asForm, authorization: 'Bearer wrong'});
    assert.equal(other.status, 401, "the device's refusal is the relay's");
    assert.equal(await other.text(), '{"status":401,"message":"Invalid access token"}');
    assert.equal(osaka.requests[0].url, '/api/notify');

    assert.equal((await fetch(`${relay.url}/api/notify`)).status, 405);
    assert.equal((await post(`${relay.url}/api/status`, '')).status, 405);
    assert.equal((await post(`${relay.url}/api/other`, form, asForm)).status, 404);
    assert.equal((await post(`${relay.url}/kyoto/api/notify`, form, asForm)).status, 404);
    const big = await post(`${relay.url}/api/notify`, bodyOfSize(1024 * 1024 + 1), asForm);
    assert.equal(big.status, 413);
    assert.equal(main.requests.length, 2);
    assert.ok(!lines.some((l) => l.includes("tool-token")), "a token reached the log");
  });
  await relay.close();
  await main.close();
  await osaka.close();
});
