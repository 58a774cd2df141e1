'use strict';
// Which site a webhook is for — the one place both modes ask. LINE: the site
// named by each postback of ours, the default site otherwise; kintone: the
// site in the path, the default site otherwise.

// Our postback format, `ack:v1:<site>:<app>:<record>:<notification>`: the site
// comes first so the relay can route without understanding the rest.
const POSTBACK_SITE = /^ack:v1:([a-z0-9-]{0,32}):/;

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

// The gateway's rule for a kintone webhook token (`webhook_token` in its
// config): at least 24 of A-Z a-z 0-9 - _. Anything else (`..`, `%2e`, `%2f`,
// `\`) is not a token of ours, and checking here, before a URL exists, keeps
// the URL parser from resolving it into another path on the device.
const KINTONE_TOKEN = /^[A-Za-z0-9_-]{24,}$/;
const SITE_IN_PATH = /^[a-z0-9-]{1,32}$/;

// The gateway's LINE Notify-compatible API (`POST /api/notify`,
// `GET /api/status`): tools switch from notify-api.line.me by the host alone.
const API = new Map([
  ['notify', 'POST'],
  ['status', 'GET'],
]);

/** The API route of path parts, or null: `api/{name}`, `{site}/api/{name}`. */
function apiRouteOf(parts, config) {
  const [site, rest] = parts.length === 3 ? [parts[0], parts.slice(1)] : [config.defaultSite, parts];
  if (rest.length !== 2 || rest[0] !== 'api' || !API.has(rest[1])) {
    return null;
  }
  if (parts.length === 3 && !SITE_IN_PATH.test(site)) {
    return null;
  }
  return {source: 'notify_api', site, path: `/api/${rest[1]}`, method: API.get(rest[1])};
}

/**
 * The route of a raw request path (as received, nothing decoded or
 * resolved), or null for a path we do not serve:
 *   /line                   → {source: 'line'}
 *   /kintone/{token}        → {source: 'kintone', site: default, token}
 *   /kintone/{site}/{token} → {source: 'kintone', site, token}
 *   /api/notify, /api/status, /{site}/api/… → {source: 'notify_api', site, path, method}
 * The site and token of a kintone route are checked here, so every later
 * use (a device URL, a Pub/Sub attribute) holds only checked characters.
 */
function routeOf(rawPath, config) {
  const path = rawPath.split('?')[0].replace(/\/+$/, '');
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length === 1 && parts[0] === 'line') {
    return {source: 'line'};
  }
  const api = apiRouteOf(parts, config);
  if (api) {
    return api;
  }
  if (parts[0] !== 'kintone' || (parts.length !== 2 && parts.length !== 3)) {
    return null;
  }
  const site = parts.length === 3 ? parts[1] : config.defaultSite;
  const token = parts[parts.length - 1];
  if ((parts.length === 3 && !SITE_IN_PATH.test(site)) || !KINTONE_TOKEN.test(token)) {
    return null;
  }
  return {source: 'kintone', site, token};
}

/** One target per site the webhook is for: `{site, path, token?}`. */
function targetsOf(route, body, config) {
  if (route.source === 'line') {
    return sitesOf(body, config).map((site) => ({site, path: '/line/webhook'}));
  }
  if (route.source === 'notify_api') {
    return [{site: route.site, path: route.path, method: route.method}];
  }
  // route.token is checked (routeOf): URL-safe as it is.
  const path = `/kintone/webhook/${route.token}`;
  return [{site: route.site, path, token: route.token}];
}

module.exports = {sitesOf, routeOf, targetsOf};
