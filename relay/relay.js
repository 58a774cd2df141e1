'use strict';
// The relay: LINE and kintone reach this public URL. In forward mode it
// forwards each webhook byte for byte to the gateway in the right office and
// answers with the gateway's status; in pubsub mode it publishes the same
// bytes to a Pub/Sub topic that each office's gateway pulls (pubsub.js). It
// holds no channel secret and no token of LINE or kintone: the gateway checks
// LINE's signature itself, so a compromised relay can drop or delay webhooks
// but never forge one.

const {loadConfig, SITE_KEY, DEFAULT_TIMEOUT_MS} = require('./config');
const {sitesOf, routeOf, targetsOf} = require('./routing');
const {createPublisher} = require('./pubsub');

// LINE's and kintone's webhooks are far smaller; a bigger body is not theirs,
// and refusing it here spares the device (and Pub/Sub) from carrying it.
const MAX_BODY_BYTES = 1024 * 1024;
const TOO_LARGE = {error: 'the body is larger than 1 MiB'};
const QUEUED = '{"status":200,"message":"queued: the gateway checks the token when it takes the message"}';

/** Forwards `body` to one device; resolves to {status, body, contentType, limits}. */
async function forward(url, body, headers, config, method = 'POST') {
  const h = {...headers};
  if (config.token) {
    h['x-relay-token'] = config.token;
  }
  try {
    const res = await fetch(url, {
      method,
      headers: h,
      body: method === 'GET' ? undefined : body,
      redirect: 'manual',
      signal: AbortSignal.timeout(config.timeoutMs),
    });
    const text = await res.text();
    // LINE Notify's rate-limit headers, for tools that read them.
    const limits = {};
    for (const [k, v] of res.headers) {
      if (k.startsWith('x-ratelimit-')) {
        limits[k] = v;
      }
    }
    return {status: res.status, body: text, contentType: res.headers.get('content-type'), limits};
  } catch (e) {
    const timedOut = e && (e.name === 'TimeoutError' || e.name === 'AbortError');
    return timedOut
      ? {status: 504, body: '{"error":"the device did not answer in time"}', contentType: 'application/json'}
      : {status: 502, body: '{"error":"the device cannot be reached"}', contentType: 'application/json'};
  }
}

function log(fields) {
  // One JSON line: Cloud Logging reads it as structured fields. Never bodies
  // or tokens.
  console.log(JSON.stringify({component: 'relay', ...fields}));
}

/** forward mode: each target's device in parallel; the worst answer wins. */
function createForwarder(config) {
  return async function forwardAll(targets, body, headers, kind, started) {
    // A body naming several sites goes, unchanged, to each of them (it
    // cannot be split without breaking the signature); each device acts only
    // on its own postbacks.
    const results = await Promise.all(
      targets.map(async (t) => {
        const r = await forward(config.sites.get(t.site) + t.path, body, headers, config, t.method);
        log({kind, site: t.site, status: r.status, ms: Date.now() - started});
        return r;
      }),
    );
    // The worst answer wins, so LINE redelivers when any device missed it.
    return results.reduce((a, b) => (b.status >= 300 && b.status > a.status ? b : a));
  };
}

function isKnown(config, site) {
  // Without a list (pubsub mode may omit it) any well-formed key goes on.
  return config.knownSites ? config.knownSites.has(site) : SITE_KEY.test(site);
}

function refuseTooLarge(res, kind) {
  log({kind, status: 413, ms: 0, error: 'body over 1 MiB'});
  res.status(413).json(TOO_LARGE);
}

/**
 * The HTTP function. Routes (both modes):
 *   POST /line                     → <site>/line/webhook
 *   POST /kintone/{token}          → <default site>/kintone/webhook/{token}
 *   POST /kintone/{site}/{token}   → <site>/kintone/webhook/{token}
 *   POST /api/notify, GET /api/status (or /{site}/api/…) → <site>/api/… with
 *        the Authorization header; in pubsub mode /api/notify is published
 *        (the gateway checks the token when it pulls it) and answered
 *        "queued", /api/status is 404 (only the device can answer it)
 * In pubsub mode "→ <site>" means one message with attribute `site`.
 * The returned function has `close()` (pubsub mode: the client's channels).
 */
function createRelay(config) {
  const publisher = config.mode === 'pubsub' ? createPublisher(config, log) : null;
  const deliver = publisher ? publisher.publishAll : createForwarder(config);
  async function relay(req, res) {
    // The raw target as received: Express's parsed forms are not the
    // bytes the client sent, and routeOf must judge those.
    const route = routeOf(req.originalUrl || req.url || '', config);
    if (!route) {
      res.status(404).json({error: 'not found'});
      return;
    }
    const method = route.method || 'POST';
    if (req.method !== method) {
      res.set('allow', method).status(405).json({error: `use ${method}`});
      return;
    }
    if (route.source === 'notify_api' && publisher && method === 'GET') {
      // A token check needs the device's answer; a queue cannot give one.
      log({kind: route.source, status: 404, ms: 0, error: '/api/status is not relayed in pubsub mode'});
      res.status(404).json({error: 'not found'});
      return;
    }
    // The declared length first, where there is one: a runtime that streams
    // the body would not have read it yet.
    const declared = Number(req.get('content-length'));
    if (declared > MAX_BODY_BYTES) {
      refuseTooLarge(res, route.source);
      return;
    }
    const body = method === 'GET' ? Buffer.alloc(0) : req.rawBody;
    if (!Buffer.isBuffer(body)) {
      res.status(400).json({error: 'no body'});
      return;
    }
    if (body.length > MAX_BODY_BYTES) {
      refuseTooLarge(res, route.source);
      return;
    }
    const started = Date.now();
    const kind = route.source;
    const headers = {'content-type': req.get('content-type') || 'application/json'};
    const signature = kind === 'line' ? req.get('x-line-signature') : undefined;
    if (signature) {
      headers['x-line-signature'] = signature;
    }
    // The API's bearer token is the gateway's lock; the relay only carries it.
    const authorization = kind === 'notify_api' ? req.get('authorization') : undefined;
    if (authorization) {
      headers.authorization = authorization;
    }
    const targets = targetsOf(route, body, config);
    const unknown = targets.filter((t) => !isKnown(config, t.site));
    if (unknown.length > 0) {
      log({kind, site: unknown[0].site, status: 404, ms: 0, error: 'unknown site'});
      res.status(404).json({error: 'unknown site'});
      return;
    }
    let answer = await deliver(targets, body, headers, kind, started);
    if (kind === 'notify_api' && publisher && answer.status === 200) {
      // LINE Notify's shape; the token, the form and the hourly limit are
      // judged on the board when it pulls the message (a refusal is in its log).
      answer = {...answer, body: QUEUED};
    }
    if (answer.contentType) {
      res.set('content-type', answer.contentType);
    }
    for (const [k, v] of Object.entries(answer.limits || {})) {
      res.set(k, v);
    }
    res.status(answer.status).send(answer.body);
  }
  relay.close = publisher ? publisher.close : async () => {};
  return relay;
}

module.exports = {loadConfig, createRelay, sitesOf, DEFAULT_TIMEOUT_MS, MAX_BODY_BYTES};
