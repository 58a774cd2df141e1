'use strict';
// A fake device (the gateway's HTTP listener) for the forward-mode tests: a
// plain node:http server on 127.0.0.1 that records each request.

const http = require('node:http');

/** A fake device recording each request's raw bytes and headers. */
async function startDevice({status = 200, body = '{"status":"ok"}', delayMs = 0, headers = {}} = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests.push({method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks)});
      setTimeout(() => {
        res.writeHead(status, {'content-type': 'application/json', ...headers});
        res.end(body);
      }, delayMs);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((r) => server.close(r)),
  };
}

module.exports = {startDevice};
