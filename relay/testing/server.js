'use strict';
// The relay under the functions framework's test server, for the tests.

const functions = require('@google-cloud/functions-framework');
const {getTestServer} = require('@google-cloud/functions-framework/testing');
const {loadConfig, createRelay} = require('../relay');

let n = 0;
/** The relay under a fresh function name, listening on a loopback port. */
async function startRelay(env) {
  const name = `relay${n++}`;
  const handler = createRelay(loadConfig(env));
  functions.http(name, handler);
  const server = getTestServer(name);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: async () => {
      await new Promise((r) => server.close(r));
      await handler.close();
    },
  };
}

function post(url, body, headers = {}) {
  return fetch(url, {
    method: 'POST',
    headers: {'content-type': 'application/json; charset=utf-8', ...headers},
    body,
  });
}

/** Runs `fn(lines)` with console.log captured into `lines`. */
function quietly(fn) {
  const log = console.log;
  const lines = [];
  console.log = (...a) => lines.push(a.join(' '));
  return Promise.resolve(fn(lines)).finally(() => {
    console.log = log;
  });
}

module.exports = {startRelay, post, quietly};
