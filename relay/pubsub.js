'use strict';
// pubsub mode: one Pub/Sub message per webhook and site, `data` the raw body
// exactly as received, the routing facts in attributes. The office's gateway
// pulls its subscription, verifies LINE's signature over `data` as it does
// for a direct webhook, and acknowledges only after its commit, so a board
// that is off for days loses nothing (Pub/Sub keeps unacknowledged messages
// for 7 days by default).

const crypto = require('node:crypto');
const {PubSub} = require('@google-cloud/pubsub');

const PUBLISHED = '{"status":"ok"}';
const NOT_PUBLISHED = '{"error":"the webhook could not be queued; try again"}';

/**
 * A token's SHA-256 in hex. Pub/Sub keeps a message for days, readable by
 * whoever may read the subscription: the tokens that open the board never
 * wait there, only their digests, which the gateway compares with its own.
 */
function sha256(token) {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token of `Bearer <token>` (any case), as the gateway reads it. */
function bearerToken(header) {
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'bearer') {
    return undefined;
  }
  const token = header.slice(space + 1).trim();
  return token === '' ? undefined : token;
}

/** The message attributes for one target (all strings, as Pub/Sub wants). */
function attributesOf(target, headers, kind, receivedMs) {
  const attributes = {
    content_type: headers['content-type'],
    source: kind,
    site: target.site,
    received_ms: String(receivedMs),
  };
  if (headers['x-line-signature']) {
    attributes.signature = headers['x-line-signature'];
  }
  if (target.token !== undefined) {
    attributes.kintone_token_sha256 = sha256(target.token);
  }
  const bearer = headers.authorization && bearerToken(headers.authorization);
  if (bearer) {
    // The LINE Notify caller's bearer token: the gateway's lock, carried
    // (as its digest) as the kintone path token is.
    attributes.authorization_sha256 = sha256(bearer);
  }
  return attributes;
}

/** Resolves to the message id, or rejects when Pub/Sub refused or was too slow. */
function publishWithin(topic, message, timeoutMs) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('Pub/Sub did not answer in time'), {code: 'TIMEOUT'})), timeoutMs);
  });
  return Promise.race([topic.publishMessage(message), late]).finally(() => clearTimeout(timer));
}

/**
 * The publisher: `publishAll(targets, body, headers, kind, started)` resolves
 * to the HTTP answer — 200 once Pub/Sub has accepted every message (it
 * answered with their ids), else 503 so LINE redelivers. A message accepted
 * after the relay gave up is a duplicate the gateway drops (LINE keeps the
 * `webhookEventId` on redelivery).
 */
function createPublisher(config, log) {
  // PUBSUB_EMULATOR_HOST, when set, points the client at the emulator.
  const client = new PubSub({projectId: config.topic.split('/')[1]});
  const topic = client.topic(config.topic);
  async function publishAll(targets, body, headers, kind, started) {
    // Several sites in one LINE body (a mixed batch, rare): one message per
    // site, each with the whole body unchanged, as forward mode sends the
    // whole body to each device — it cannot be split without breaking the
    // signature; each gateway acts only on its own site's postbacks.
    const outcomes = await Promise.all(
      targets.map(async (t) => {
        const message = {data: body, attributes: attributesOf(t, headers, kind, started)};
        try {
          await publishWithin(topic, message, config.timeoutMs);
          log({kind, site: t.site, status: 200, ms: Date.now() - started});
          return true;
        } catch (e) {
          // The code only (NOT_FOUND is 5, PERMISSION_DENIED 7): messages may
          // name resources, never secrets, but keep the line small.
          const code = e && e.code !== undefined ? e.code : 'unknown';
          log({kind, site: t.site, status: 503, ms: Date.now() - started, error: `publish failed (${code})`});
          return false;
        }
      }),
    );
    const ok = outcomes.every(Boolean);
    return {status: ok ? 200 : 503, body: ok ? PUBLISHED : NOT_PUBLISHED, contentType: 'application/json'};
  }
  return {publishAll, close: () => client.close()};
}

module.exports = {createPublisher, attributesOf};
