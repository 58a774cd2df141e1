'use strict';
// forward mode: what the relay refuses before any URL is built or any byte
// forwarded — kintone paths that are not a site and a token of ours (dot
// segments, encoded dots and slashes, backslashes), and bodies over 1 MiB.
// pubsub mode has the same cases in pubsub.test.js.

const test = require('node:test');
const assert = require('node:assert/strict');
const {createRelay, loadConfig, MAX_BODY_BYTES} = require('../relay');
const {startRelay, post, postRaw, postChunked, quietly, TOKEN, BAD_KINTONE_PATHS, bodyOfSize} = require('../testing/server');
const {startDevice} = require('../testing/device');

test('kintone paths with dot segments, encoded slashes or odd characters are 404, nothing forwarded', async () => {
  const main = await startDevice();
  const osaka = await startDevice();
  const relay = await startRelay({RELAY_SITES: `main=${main.url},osaka=${osaka.url}`, RELAY_DEFAULT_SITE: 'main'});
  await quietly(async () => {
    for (const path of BAD_KINTONE_PATHS) {
      assert.equal(await postRaw(relay.url, path), 404, path);
    }
    // The sign that the relay was working all along: a good path arrives,
    // and it is the only request either device saw.
    assert.equal(await postRaw(relay.url, `/kintone/osaka/${TOKEN}`), 200);
  });
  assert.deepEqual(osaka.requests.map((r) => r.url), [`/kintone/webhook/${TOKEN}`]);
  assert.equal(main.requests.length, 0, 'nothing reached the default site either');
  await relay.close();
  await main.close();
  await osaka.close();
});

test('a body of 1 MiB + 1 byte is 413 on both routes, with or without Content-Length; 1 MiB passes', async () => {
  const device = await startDevice();
  const relay = await startRelay({RELAY_SITES: `main=${device.url}`});
  const over = bodyOfSize(MAX_BODY_BYTES + 1);
  const edge = bodyOfSize(MAX_BODY_BYTES);
  await quietly(async (lines) => {
    for (const route of ['/line', `/kintone/${TOKEN}`]) {
      const res = await post(`${relay.url}${route}`, over);
      assert.equal(res.status, 413, route);
      assert.match(await res.text(), /larger than 1 MiB/);
      assert.equal(await postChunked(`${relay.url}${route}`, over), 413, `${route}, chunked`);
    }
    assert.equal(JSON.parse(lines[0]).status, 413, 'logged, without the body');
    assert.ok(lines.every((l) => l.length < 200));
    assert.equal((await post(`${relay.url}/kintone/${TOKEN}`, edge)).status, 200);
    assert.equal(await postChunked(`${relay.url}/line`, edge), 200);
  });
  assert.equal(device.requests.length, 2, 'only the two bodies of exactly 1 MiB were forwarded');
  assert.ok(device.requests.every((r) => r.body.equals(edge)));
  await relay.close();
  await device.close();
});

test('a declared Content-Length over 1 MiB is refused before the body is looked at', async () => {
  // A runtime that streams bodies hands over the request before it has read
  // the body; the declared length alone must be enough to refuse.
  const relay = createRelay(loadConfig({RELAY_SITES: 'main=http://127.0.0.1:9'}));
  const headers = {'content-length': String(MAX_BODY_BYTES + 1), 'content-type': 'application/json'};
  const req = {method: 'POST', url: '/line', get: (h) => headers[h.toLowerCase()], rawBody: Buffer.from('{}')};
  const answer = {};
  const res = {
    status(s) {
      answer.status = s;
      return this;
    },
    json(b) {
      answer.body = b;
      return this;
    },
    set() {
      return this;
    },
    send(b) {
      answer.body = b;
      return this;
    },
  };
  await quietly(() => relay(req, res));
  assert.equal(answer.status, 413);
  await relay.close();
});
