'use strict';
// pubsub mode's settings: every problem listed with its variable, the topic
// name's two spellings, and the deployed entry point under the functions
// framework publishing to the emulator.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const net = require('node:net');
const {spawn} = require('node:child_process');
const {PubSub} = require('@google-cloud/pubsub');
const {loadConfig} = require('../relay');
const {emulator, stopEmulator, pullMessages, PROJECT} = require('../testing/emulator');

test.after(stopEmulator);

function problemsOf(env) {
  try {
    loadConfig(env);
  } catch (e) {
    return e.message;
  }
  assert.fail('loadConfig accepted bad settings');
}

test('pubsub settings: every problem reported, each with its variable', () => {
  const message = problemsOf({
    RELAY_MODE: 'pubsub',
    RELAY_PUBSUB_TOPIC: 'projects/Bad_Project/topics/go',
    RELAY_SITES: 'main=https://a.example',
    RELAY_DEVICE_TOKEN: 'relay-token-0123456789',
    RELAY_SITES_KNOWN: 'main,Osaka,main',
    RELAY_DEFAULT_SITE: 'kyoto',
    RELAY_TIMEOUT_MS: '50',
  });
  for (const expected of [
    'RELAY_PUBSUB_TOPIC: "Bad_Project" is not a project id',
    'RELAY_PUBSUB_TOPIC: topic id "go"',
    'RELAY_SITES: read only in forward mode',
    'RELAY_DEVICE_TOKEN: read only in forward mode',
    'RELAY_SITES_KNOWN: site key "Osaka"',
    'RELAY_SITES_KNOWN: site "main" is listed twice',
    'RELAY_DEFAULT_SITE: "kyoto" is not one of the RELAY_SITES_KNOWN keys',
    'RELAY_TIMEOUT_MS',
  ]) {
    assert.ok(message.includes(expected), `missing ${expected} in:\n${message}`);
  }
  assert.match(problemsOf({RELAY_MODE: 'pubsub'}), /RELAY_PUBSUB_TOPIC: required in pubsub mode/);
  assert.match(problemsOf({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: 'hooks'}), /needs RELAY_PUBSUB_PROJECT/);
  assert.match(problemsOf({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: 'a/b'}), /neither projects\/P\/topics\/T nor a topic id/);
  assert.match(problemsOf({RELAY_MODE: 'push'}), /RELAY_MODE: "push" is neither/);
  // Forgetting RELAY_MODE=pubsub is said, not silently forwarded.
  const forgot = problemsOf({RELAY_PUBSUB_TOPIC: 'projects/p-123/topics/hooks'});
  assert.match(forgot, /RELAY_PUBSUB_TOPIC: read only in pubsub mode/);
  assert.match(forgot, /RELAY_SITES: required/);
});

test('pubsub settings: the topic by full name or by id and project; sites optional', () => {
  const full = loadConfig({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: 'projects/my-proj/topics/line-webhooks'});
  assert.equal(full.topic, 'projects/my-proj/topics/line-webhooks');
  assert.equal(full.knownSites, null);
  assert.equal(full.defaultSite, '');
  assert.equal(full.timeoutMs, 1500);
  const byId = loadConfig({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: 'hooks', RELAY_PUBSUB_PROJECT: 'my-proj'});
  assert.equal(byId.topic, 'projects/my-proj/topics/hooks');
  const byEnv = loadConfig({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: 'hooks', GOOGLE_CLOUD_PROJECT: 'gcp-proj'});
  assert.equal(byEnv.topic, 'projects/gcp-proj/topics/hooks');
  const one = loadConfig({RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: 'hooks', RELAY_PUBSUB_PROJECT: 'p-1', RELAY_SITES_KNOWN: 'main'});
  assert.deepEqual([...one.knownSites], ['main']);
  assert.equal(one.defaultSite, 'main', 'the only known site is the default');
  assert.equal(loadConfig({RELAY_SITES: 'main=https://a.example'}).mode, 'forward', 'forward stays the default');
});

function freePort() {
  const s = net.createServer();
  return new Promise((r) => s.listen(0, '127.0.0.1', () => {
    const {port} = s.address();
    s.close(() => r(port));
  }));
}

test('the deployed entry point in pubsub mode publishes to the emulator', {timeout: 60000}, async () => {
  const host = await emulator();
  const client = new PubSub({projectId: PROJECT});
  const [topic] = await client.createTopic(`entry-${process.pid}`);
  const [sub] = await topic.createSubscription(`entry-${process.pid}-sub`);
  await client.close();
  const port = await freePort();
  const bin = path.join(__dirname, '..', 'node_modules', '.bin', 'functions-framework');
  const child = spawn(bin, ['--target=relay', `--port=${port}`], {
    cwd: path.join(__dirname, '..'),
    env: {...process.env, PUBSUB_EMULATOR_HOST: host, RELAY_MODE: 'pubsub', RELAY_PUBSUB_TOPIC: topic.name},
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  try {
    const body = Buffer.from('{"events":[{"type":"postback","postback":{"data":"ack:v1:osaka:1:2:x"}}] }');
    let res = null;
    for (let i = 0; i < 100 && !res; i++) {
      res = await fetch(`http://127.0.0.1:${port}/line`, {
        method: 'POST',
        headers: {'content-type': 'application/json', 'x-line-signature': 'sig'},
        body,
      }).catch(() => new Promise((r) => setTimeout(() => r(null), 200)));
    }
    assert.ok(res, `the functions framework did not listen:\n${output}`);
    assert.equal(res.status, 200, output);
    const [msg] = await pullMessages(host, sub.name, 1);
    assert.ok(msg.data.equals(body));
    assert.equal(msg.attributes.site, 'osaka');
  } finally {
    child.kill();
  }
});
