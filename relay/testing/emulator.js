'use strict';
// The real Pub/Sub emulator for the tests: the one PUBSUB_EMULATOR_HOST names
// (as .ci/run sets it), or one started here through .ci/pubsub-emulator and
// stopped when the test file ends, so `npm test` works alone. A test that
// needs it fails, loudly, when it cannot start — it never skips.
// (Outside test/: node --test runs every .js file under a `test` folder.)

const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const {execFile} = require('node:child_process');
const {promisify} = require('node:util');

const SCRIPT = path.join(__dirname, '..', '..', '.ci', 'pubsub-emulator');
const PROJECT = 'klg-test';
let started = null;
// No Google credentials here: without this the auth library probes the GCE
// metadata server on every client and warns that it is absent.
process.env.METADATA_SERVER_DETECTION ??= 'none';

function run(cmd, dir) {
  return promisify(execFile)(SCRIPT, [cmd, dir], {timeout: 120000});
}

/** Resolves to `host:port` of a running emulator, starting one if needed. */
function emulator() {
  if (process.env.PUBSUB_EMULATOR_HOST) {
    return Promise.resolve(process.env.PUBSUB_EMULATOR_HOST);
  }
  if (!started) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-pubsub-'));
    started = run('start', dir).then(
      ({stdout}) => {
        const m = /PUBSUB_EMULATOR_HOST=(\S+)/.exec(stdout);
        if (!m) {
          throw new Error(`.ci/pubsub-emulator start printed no host:\n${stdout}`);
        }
        process.env.PUBSUB_EMULATOR_HOST = m[1];
        return {host: m[1], dir};
      },
      (e) => {
        fs.rmSync(dir, {recursive: true, force: true});
        throw new Error(
          `these tests need the Pub/Sub emulator and it did not start (${SCRIPT} start): ` +
            `install google-cloud-cli-pubsub-emulator and Java, or set PUBSUB_EMULATOR_HOST.\n${e.stderr || e.message}`,
        );
      },
    );
  }
  return started.then((s) => s.host);
}

/** Stops the emulator this process started (none if the environment gave one). */
async function stopEmulator() {
  if (!started) {
    return;
  }
  const s = await started.catch(() => null);
  started = null;
  if (s) {
    delete process.env.PUBSUB_EMULATOR_HOST;
    await run('stop', s.dir);
    fs.rmSync(s.dir, {recursive: true, force: true});
  }
}

/** Pulls (REST, as the gateway does) until `n` messages came; fails after `ms`. */
async function pullMessages(host, subscription, n, ms = 10000) {
  const got = [];
  const deadline = Date.now() + ms;
  while (got.length < n) {
    if (Date.now() > deadline) {
      throw new Error(`${subscription}: ${got.length} of ${n} messages after ${ms} ms`);
    }
    got.push(...(await pullOnce(host, subscription)));
  }
  return got;
}

/** One immediate pull: the messages the emulator holds now, decoded. */
async function pullOnce(host, subscription) {
  const res = await fetch(`http://${host}/v1/${subscription}:pull`, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({maxMessages: 100, returnImmediately: true}),
  });
  if (!res.ok) {
    throw new Error(`pull ${subscription}: ${res.status} ${await res.text()}`);
  }
  const {receivedMessages = []} = await res.json();
  return receivedMessages.map(({message}) => ({
    data: Buffer.from(message.data || '', 'base64'),
    attributes: message.attributes || {},
  }));
}

module.exports = {emulator, stopEmulator, pullMessages, pullOnce, PROJECT};
