'use strict';
// The relay: LINE and kintone reach this public URL; it forwards each webhook
// byte for byte to the gateway in the right office and answers with the
// gateway's status. It holds no channel secret and no token of LINE or
// kintone: the gateway checks LINE's signature itself, so a compromised relay
// can drop or delay webhooks but never forge one.

const SITE_KEY = /^[a-z0-9-]{0,32}$/;
// Our postback format, `ack:v1:<site>:<app>:<record>:<notification>`: the site
// comes first so the relay can route without understanding the rest.
const POSTBACK_SITE = /^ack:v1:([a-z0-9-]{0,32}):/;
// LINE gives up after about 2 s; answer before it does so that a slow device
// becomes a 5xx that LINE redelivers (the device deduplicates).
const DEFAULT_TIMEOUT_MS = 1500;

/**
 * Reads the relay's settings from the environment. Throws one Error listing
 * every problem, each naming its variable.
 *
 * - RELAY_SITES: `key=https://device.example,other=https://…` (key: a-z, 0-9, -;
 *   the empty key is allowed: `=https://…`)
 * - RELAY_DEFAULT_SITE: the key for events that name no site (default: the
 *   only site, or the empty key)
 * - RELAY_DEVICE_TOKEN: optional, sent as `x-relay-token` (the gateway's
 *   `[server] relay_token`)
 * - RELAY_TIMEOUT_MS: optional, 100–1900 (default 1500)
 */
function loadConfig(env) {
  const problems = [];
  const sites = new Map();
  const raw = (env.RELAY_SITES || '').trim();
  if (!raw) {
    problems.push('RELAY_SITES: required, e.g. "main=https://office.example.net"');
  }
  for (const entry of raw ? raw.split(',') : []) {
    const eq = entry.indexOf('=');
    if (eq < 0) {
      problems.push(`RELAY_SITES: "${entry.trim()}" is not key=url`);
      continue;
    }
    const key = entry.slice(0, eq).trim();
    const url = entry.slice(eq + 1).trim().replace(/\/+$/, '');
    if (!SITE_KEY.test(key)) {
      problems.push(`RELAY_SITES: site key "${key}" must be at most 32 of a-z, 0-9 and -`);
    }
    let parsed = null;
    try {
      parsed = new URL(url);
    } catch {
      problems.push(`RELAY_SITES: "${url}" (site "${key}") is not a URL`);
    }
    if (parsed && parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      problems.push(`RELAY_SITES: "${url}" (site "${key}") must be http(s)`);
    }
    if (parsed && (parsed.username || parsed.password)) {
      problems.push(`RELAY_SITES: site "${key}": no credentials in the URL; use RELAY_DEVICE_TOKEN`);
    }
    if (sites.has(key)) {
      problems.push(`RELAY_SITES: site "${key}" is listed twice`);
    }
    sites.set(key, url);
  }
  let defaultSite = env.RELAY_DEFAULT_SITE;
  if (defaultSite === undefined) {
    defaultSite = sites.size === 1 ? [...sites.keys()][0] : '';
  }
  if (sites.size > 0 && !sites.has(defaultSite)) {
    problems.push(`RELAY_DEFAULT_SITE: "${defaultSite}" is not one of the RELAY_SITES keys`);
  }
  const token = env.RELAY_DEVICE_TOKEN || null;
  if (token !== null && (token.length < 16 || /[\s\x00-\x1f]/.test(token))) {
    problems.push('RELAY_DEVICE_TOKEN: use at least 16 printable characters');
  }
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (env.RELAY_TIMEOUT_MS !== undefined) {
    timeoutMs = Number(env.RELAY_TIMEOUT_MS);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 1900) {
      problems.push('RELAY_TIMEOUT_MS: an integer from 100 to 1900 (LINE waits about 2 s)');
    }
  }
  if (problems.length > 0) {
    throw new Error(`relay configuration:\n  ${problems.join('\n  ')}`);
  }
  return {sites, defaultSite, token, timeoutMs};
}

/**
 * The sites a LINE webhook body is for: the site named by each postback of
 * ours, the default site for every other event (and for a body that is not
 * JSON — the device will refuse it with the right status).
 */
function sitesOf(rawBody, config) {
  let events;
  try {
    events = JSON.parse(rawBody.toString('utf8')).events;
  } catch {
    return [config.defaultSite];
  }
  if (!Array.isArray(events) || events.length === 0) {
    return [config.defaultSite];
  }
  const keys = new Set();
  for (const ev of events) {
    const data = ev && ev.postback && typeof ev.postback.data === 'string' ? ev.postback.data : '';
    const m = POSTBACK_SITE.exec(data);
    const key = m && m[1] !== '' ? m[1] : config.defaultSite;
    keys.add(key);
  }
  return [...keys];
}

/** Forwards `body` to one device; resolves to {status, body, contentType}. */
async function forward(url, body, headers, config) {
  const h = {...headers};
  if (config.token) {
    h['x-relay-token'] = config.token;
  }
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: h,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(config.timeoutMs),
    });
    const text = await res.text();
    return {status: res.status, body: text, contentType: res.headers.get('content-type')};
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

/**
 * The HTTP function. Routes:
 *   POST /line                     → <site>/line/webhook
 *   POST /kintone/{token}          → <default site>/kintone/webhook/{token}
 *   POST /kintone/{site}/{token}   → <site>/kintone/webhook/{token}
 */
function createRelay(config) {
  return async function relay(req, res) {
    const path = (req.path || req.url || '').split('?')[0].replace(/\/+$/, '');
    const parts = path.split('/').filter((p) => p !== '');
    const isLine = parts.length === 1 && parts[0] === 'line';
    const isKintone = parts[0] === 'kintone' && (parts.length === 2 || parts.length === 3);
    if (!isLine && !isKintone) {
      res.status(404).json({error: 'not found'});
      return;
    }
    if (req.method !== 'POST') {
      res.set('allow', 'POST').status(405).json({error: 'use POST'});
      return;
    }
    const body = req.rawBody;
    if (!Buffer.isBuffer(body)) {
      res.status(400).json({error: 'no body'});
      return;
    }
    const started = Date.now();
    let targets;
    const headers = {'content-type': req.get('content-type') || 'application/json'};
    if (isLine) {
      const signature = req.get('x-line-signature');
      if (signature) {
        headers['x-line-signature'] = signature;
      }
      targets = sitesOf(body, config).map((site) => ({site, path: '/line/webhook'}));
    } else {
      const site = parts.length === 3 ? parts[1] : config.defaultSite;
      const token = parts[parts.length - 1];
      targets = [{site, path: `/kintone/webhook/${encodeURIComponent(token)}`}];
    }
    const unknown = targets.filter((t) => !config.sites.has(t.site));
    if (unknown.length > 0) {
      log({kind: isLine ? 'line' : 'kintone', site: unknown[0].site, status: 404, ms: 0, error: 'unknown site'});
      res.status(404).json({error: 'unknown site'});
      return;
    }
    // A body naming several sites goes, unchanged, to each of them (it
    // cannot be split without breaking the signature); each device acts only
    // on its own postbacks.
    const results = await Promise.all(
      targets.map(async (t) => {
        const r = await forward(config.sites.get(t.site) + t.path, body, headers, config);
        log({kind: isLine ? 'line' : 'kintone', site: t.site, status: r.status, ms: Date.now() - started});
        return r;
      }),
    );
    // The worst answer wins, so LINE redelivers when any device missed it.
    const worst = results.reduce((a, b) => (b.status >= 300 && b.status > a.status ? b : a));
    if (worst.contentType) {
      res.set('content-type', worst.contentType);
    }
    res.status(worst.status).send(worst.body);
  };
}

module.exports = {loadConfig, createRelay, sitesOf, DEFAULT_TIMEOUT_MS};
