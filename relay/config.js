'use strict';
// The relay's settings, read once at start from the environment. Every
// problem is collected and thrown in one Error, each naming its variable, so a
// bad deployment says everything that is wrong at once.

const SITE_KEY = /^[a-z0-9-]{0,32}$/;
// LINE gives up after about 2 s; answer before it does so that a slow device
// (or a slow Pub/Sub) becomes a 5xx that LINE redelivers (the device
// deduplicates).
const DEFAULT_TIMEOUT_MS = 1500;
const MODES = ['forward', 'pubsub'];
// Pub/Sub's own rules for names (a topic: 3–255 characters, a letter first,
// not `goog…`); a project id as the console shows it (domain-scoped ones
// included: `example.com:project`).
const TOPIC_ID = /^(?!goog)[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
const PROJECT_ID = /^[a-z][a-z0-9.:-]{1,99}$/;
const TOPIC_PATH = /^projects\/([^/]+)\/topics\/([^/]+)$/;

/**
 * Reads the relay's settings from the environment. Throws one Error listing
 * every problem, each naming its variable.
 *
 * - RELAY_MODE: `forward` (default) or `pubsub`
 * - RELAY_DEFAULT_SITE: the key for events that name no site (default: the
 *   only site, or the empty key)
 * - RELAY_TIMEOUT_MS: optional, 100–1900 (default 1500)
 *
 * forward mode:
 * - RELAY_SITES: `key=https://device.example,other=https://…` (key: a-z, 0-9, -;
 *   the empty key is allowed: `=https://…`)
 * - RELAY_DEVICE_TOKEN: optional, sent as `x-relay-token` (the gateway's
 *   `[server] relay_token`)
 *
 * pubsub mode:
 * - RELAY_PUBSUB_TOPIC: `projects/P/topics/T`, or `T` with
 *   RELAY_PUBSUB_PROJECT (or GOOGLE_CLOUD_PROJECT) naming the project
 * - RELAY_SITES_KNOWN: optional, `main,osaka` — when set, a webhook for any
 *   other site is refused with 404 as in forward mode; when unset, every
 *   well-formed site key is published (the subscriptions' filters decide)
 */
function loadConfig(env) {
  const problems = [];
  const mode = env.RELAY_MODE === undefined || env.RELAY_MODE === '' ? 'forward' : env.RELAY_MODE;
  if (!MODES.includes(mode)) {
    problems.push(`RELAY_MODE: "${mode}" is neither "forward" nor "pubsub"`);
  }
  const settings = mode === 'pubsub' ? pubsubSettings(env, problems) : forwardSettings(env, problems);
  const knownSites = settings.knownSites;
  let defaultSite = env.RELAY_DEFAULT_SITE;
  if (defaultSite === undefined) {
    defaultSite = knownSites && knownSites.size === 1 ? [...knownSites][0] : '';
  }
  if (knownSites && knownSites.size > 0 && !knownSites.has(defaultSite)) {
    const list = mode === 'pubsub' ? 'RELAY_SITES_KNOWN' : 'RELAY_SITES';
    problems.push(`RELAY_DEFAULT_SITE: "${defaultSite}" is not one of the ${list} keys`);
  } else if (!SITE_KEY.test(defaultSite)) {
    problems.push(`RELAY_DEFAULT_SITE: "${defaultSite}" must be at most 32 of a-z, 0-9 and -`);
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
  return {mode, ...settings, defaultSite, timeoutMs};
}

/** Names set in the environment that the other mode reads: a likely mistake. */
function strays(env, names, problems, hint) {
  for (const name of names) {
    if (env[name] !== undefined) {
      problems.push(`${name}: ${hint}`);
    }
  }
}

function forwardSettings(env, problems) {
  strays(env, ['RELAY_PUBSUB_TOPIC', 'RELAY_PUBSUB_PROJECT', 'RELAY_SITES_KNOWN'], problems,
    'read only in pubsub mode (set RELAY_MODE=pubsub, or remove it)');
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
  const token = env.RELAY_DEVICE_TOKEN || null;
  if (token !== null && (token.length < 16 || /[\s\x00-\x1f]/.test(token))) {
    problems.push('RELAY_DEVICE_TOKEN: use at least 16 printable characters');
  }
  return {sites, knownSites: new Set(sites.keys()), token};
}

function pubsubSettings(env, problems) {
  strays(env, ['RELAY_SITES', 'RELAY_DEVICE_TOKEN'], problems,
    'read only in forward mode; in pubsub mode list site keys in RELAY_SITES_KNOWN');
  const topic = pubsubTopic(env, problems);
  let knownSites = null;
  if (env.RELAY_SITES_KNOWN !== undefined) {
    knownSites = new Set();
    for (const key of env.RELAY_SITES_KNOWN.split(',').map((k) => k.trim())) {
      if (!SITE_KEY.test(key)) {
        problems.push(`RELAY_SITES_KNOWN: site key "${key}" must be at most 32 of a-z, 0-9 and -`);
      } else if (knownSites.has(key)) {
        problems.push(`RELAY_SITES_KNOWN: site "${key}" is listed twice`);
      }
      knownSites.add(key);
    }
  }
  return {topic, knownSites};
}

/** The topic's full name, `projects/P/topics/T`, or null after a problem. */
function pubsubTopic(env, problems) {
  const raw = (env.RELAY_PUBSUB_TOPIC || '').trim();
  if (!raw) {
    problems.push('RELAY_PUBSUB_TOPIC: required in pubsub mode, e.g. "projects/my-project/topics/line-webhooks"');
    return null;
  }
  const full = TOPIC_PATH.exec(raw);
  const project = full ? full[1] : (env.RELAY_PUBSUB_PROJECT || env.GOOGLE_CLOUD_PROJECT || '').trim();
  const id = full ? full[2] : raw;
  let ok = true;
  if (!full && raw.includes('/')) {
    problems.push(`RELAY_PUBSUB_TOPIC: "${raw}" is neither projects/P/topics/T nor a topic id`);
    return null;
  }
  if (!project) {
    problems.push('RELAY_PUBSUB_TOPIC: a bare topic id needs RELAY_PUBSUB_PROJECT (or GOOGLE_CLOUD_PROJECT)');
    ok = false;
  } else if (!PROJECT_ID.test(project)) {
    const from = full ? 'RELAY_PUBSUB_TOPIC' : 'RELAY_PUBSUB_PROJECT';
    problems.push(`${from}: "${project}" is not a project id`);
    ok = false;
  }
  if (!TOPIC_ID.test(id)) {
    problems.push(`RELAY_PUBSUB_TOPIC: topic id "${id}": 3 to 255 of letters, digits, - _ . ~ + %, a letter first, not "goog…"`);
    ok = false;
  }
  return ok ? `projects/${project}/topics/${id}` : null;
}

module.exports = {loadConfig, SITE_KEY, DEFAULT_TIMEOUT_MS};
