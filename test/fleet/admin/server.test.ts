// The admin listener's routes, on a real server on port 0.
import http from 'node:http';
import net from 'node:net';
import t from 'tap';
import { EventFeed } from '../../../src/fleet/admin/feed.js';
import { LogFeed } from '../../../src/fleet/admin/log-feed.js';
import { FleetMetrics } from '../../../src/fleet/admin/metrics.js';
import { AdminServer, DASHBOARD_CSP, type Route, route } from '../../../src/fleet/admin/server.js';
import type { FleetStatus } from '../../../src/fleet/control/socket/protocol.js';
import { FleetError } from '../../../src/fleet/errors.js';
import type { Tap } from '../../support.js';

t.test('what each request asks for', async (t) => {
  const cases: [string | undefined, string, Route][] = [
    ['GET', '/metrics', 'metrics'],
    ['HEAD', '/metrics', 'metrics'],
    ['GET', '/api/status', 'status'],
    ['GET', '/api/status?pretty=1', 'status'],
    ['GET', '/api/events', 'events'],
    ['GET', '/', 'dashboard'],
    ['GET', '/index.html', 'not-found'],
    ['GET', '/api/status/', 'not-found'],
    ['GET', '/metricsx', 'not-found'],
    ['POST', '/metrics', 'method-not-allowed'],
    ['DELETE', '/nope', 'method-not-allowed'],
    [undefined, '/', 'method-not-allowed'],
  ];
  for (const [method, url, expected] of cases) t.equal(route(method, url), expected, `${method} ${url}: ${expected}`);
});

const status: FleetStatus = { name: 'f', desired: 1, port: 8080, host: '127.0.0.1', image: 'i', pid: 1, workers: [], members: [] };

async function start(t: Tap, port = 0): Promise<AdminServer> {
  const metrics = new FleetMetrics({ members: () => [], desired: () => 1, workers: () => [], generation: () => 1 });
  const logs = new LogFeed();
  const server = new AdminServer({ host: '127.0.0.1', port }, { status: () => status, metrics, feed: new EventFeed(() => status, metrics.requests, logs), page: '<!doctype html><title>fleet</title>' });
  await server.listen();
  t.teardown(() => server.close());
  logs.listener('INFO', 'member.started', { id: 'abc' });
  return server;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, method: string, path: string, read = true): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      if (!read) {
        // A stream that never ends: the first chunk is enough.
        res.once('data', (chunk: string) => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunk });
          req.destroy();
        });
        return;
      }
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('the routes answer as the contract says', async (t) => {
  const server = await start(t);
  const port = server.port;

  const metrics = await request(port, 'GET', '/metrics');
  t.equal(metrics.status, 200);
  t.match(metrics.headers['content-type'], /^text\/plain; version=0\.0\.4/, "prom-client's content type");
  t.match(metrics.body, /^# TYPE fleet_requests_total counter$/m);

  const api = await request(port, 'GET', '/api/status');
  t.equal(api.headers['content-type'], 'application/json');
  t.same(JSON.parse(api.body), status, 'the status as fleet status --json prints it');

  const page = await request(port, 'GET', '/');
  t.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  t.equal(page.headers['content-security-policy'], DASHBOARD_CSP, 'the page may load nothing from elsewhere');
  t.match(page.body, /<title>fleet<\/title>/);

  const head = await request(port, 'HEAD', '/api/status');
  t.equal(head.status, 200);
  t.equal(head.body, '', 'HEAD has no body');

  const missing = await request(port, 'GET', '/nope');
  t.equal(missing.status, 404);
  t.equal(missing.headers['content-type'], 'text/plain; charset=utf-8');

  const post = await request(port, 'POST', '/metrics');
  t.equal(post.status, 405);
  t.equal(post.headers.allow, 'GET, HEAD');
});

t.test('the event stream starts with its retry, a status event and the kept log events', async (t) => {
  const server = await start(t);
  const received = await new Promise<{ type: string; text: string }>((resolve, reject) => {
    let text = '';
    const req = http.get({ host: '127.0.0.1', port: server.port, path: '/api/events', agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('event: log')) {
          resolve({ type: String(res.headers['content-type']), text });
          req.destroy();
        }
      });
    });
    req.on('error', reject);
  });
  t.equal(received.type, 'text/event-stream; charset=utf-8');
  t.ok(received.text.startsWith('retry: 1000\n\nevent: status\ndata: {'), 'retry, then a status event at once');
  const status = /event: status\ndata: (.*)\n\n/.exec(received.text)?.[1];
  t.match(JSON.parse(status ?? '{}'), { status: { name: 'f' }, totals: { rps: 0, requests: 0 }, members: {} });
  t.match(received.text, /event: log\ndata: \{"time":"[^"]+","level":"INFO","event":"member\.started","fields":\{"id":"abc"\}\}\n\n/, 'the kept log event is replayed');
});

t.test('an admin port in use is a FleetError naming it', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as net.AddressInfo).port;
  const metrics = new FleetMetrics({ members: () => [], desired: () => 1, workers: () => [], generation: () => 1 });
  const server = new AdminServer({ host: '127.0.0.1', port }, { status: () => status, metrics, feed: new EventFeed(() => status, metrics.requests, new LogFeed()), page: '' });
  const error = await server.listen().then(
    () => undefined,
    (e: unknown) => e,
  );
  await server.close();
  t.ok(error instanceof FleetError, 'a FleetError: one line, no stack');
  t.match(error, { code: 'FLEET_PORT_IN_USE', message: `admin port ${port} is already in use on 127.0.0.1 (choose another with --admin-port, or --no-admin)` });
});
