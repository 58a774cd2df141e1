'use strict';
// The relay under the functions framework's test server, for the tests.

const http = require('node:http');
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

/**
 * POSTs to `rawPath` exactly as written: fetch would resolve `..` and `.`
 * segments before sending, and the relay must see them as an attacker sends
 * them. Resolves to the status.
 */
function postRaw(baseUrl, rawPath, body = '{}') {
  const {hostname, port} = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {hostname, port, path: rawPath, method: 'POST', headers: {'content-type': 'application/json'}},
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A kintone path token of the gateway's form (at least 24 of A-Z a-z 0-9 - _). */
const TOKEN = 'tok-abcdefghijklmnopqrstuvwxyz';

/**
 * Paths that are no webhook route of ours, as an attacker sends them: dot
 * segments, encoded dots and slashes, backslashes, a short token. Before the
 * check, the first ones were resolved by the URL parser into another path on
 * the device (`/kintone/osaka/..` → osaka's `/kintone/`).
 */
const BAD_KINTONE_PATHS = [
  '/kintone/..',
  '/kintone/osaka/..',
  '/kintone/osaka/.',
  '/kintone/osaka/%2e%2e',
  '/kintone/osaka/%2E%2E%2F%2E%2E%2Fline%2Fwebhook',
  `/kintone/osaka/..%2f..%2f${TOKEN}`,
  '/kintone/osaka/..\\..\\line\\webhook',
  `/kintone/osaka/${TOKEN}\\..`,
  `/kintone/%2e%2e/${TOKEN}`,
  `/kintone/osaka%2f..%2fmain/${TOKEN}`,
  `/kintone/osaka/${TOKEN}/..`,
  `/kintone/../osaka/${TOKEN}`,
  '/kintone/osaka/tok-2',
];

/**
 * A JSON body of exactly `bytes` bytes (a LINE body with padding), to probe
 * the relay's 1 MiB cap at its edge.
 */
function bodyOfSize(bytes) {
  const head = '{"destination":"U1","events":[],"pad":"';
  const tail = '"}';
  return Buffer.from(head + 'x'.repeat(bytes - head.length - tail.length) + tail);
}

/** POSTs `body` in two chunks with no Content-Length (chunked transfer). */
function postChunked(url, body) {
  const {hostname, port, pathname} = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {hostname, port, path: pathname, method: 'POST', headers: {'content-type': 'application/json'}},
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.subarray(0, half));
    req.end(body.subarray(half));
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

module.exports = {startRelay, post, postRaw, postChunked, quietly, TOKEN, BAD_KINTONE_PATHS, bodyOfSize};
