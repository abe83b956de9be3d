// The health probe, table-driven against real local servers on port 0: only a 2xx answer
// within the timeout is healthy.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { probe } from '../../../src/fleet/control/checker.js';

async function server(t: { teardown: (fn: () => void) => void }, handler: http.RequestListener): Promise<number> {
  const s = http.createServer(handler);
  t.teardown(() => {
    s.closeAllConnections();
    s.close();
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as AddressInfo).port;
}

t.test('a probe is healthy only for a 2xx in time', async (t) => {
  const cases: { what: string; handler: http.RequestListener; healthy: boolean }[] = [
    { what: '200', handler: (_q, r) => r.end('ok'), healthy: true },
    { what: '204', handler: (_q, r) => r.writeHead(204).end(), healthy: true },
    { what: '301 is not healthy', handler: (_q, r) => r.writeHead(301, { location: '/' }).end(), healthy: false },
    { what: '404', handler: (_q, r) => r.writeHead(404).end(), healthy: false },
    { what: '503', handler: (_q, r) => r.writeHead(503).end(), healthy: false },
    { what: 'no answer within the timeout', handler: () => {}, healthy: false },
    { what: 'the connection dropped', handler: (q) => q.socket.destroy(), healthy: false },
  ];
  for (const c of cases) t.equal(await probe('127.0.0.1', await server(t, c.handler), '/health', 200), c.healthy, c.what);
});

t.test('the probe asks the health path as fleet-health', async (t) => {
  let seen: { url?: string; agent?: string } = {};
  const port = await server(t, (q, r) => {
    seen = { url: q.url, agent: q.headers['user-agent'] };
    r.end();
  });
  t.ok(await probe('127.0.0.1', port, '/healthz', 1_000));
  t.same(seen, { url: '/healthz', agent: 'fleet-health' });
});

t.test('nothing listening is unhealthy', async (t) => {
  const port = await server(t, () => {});
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const closed = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  t.not(closed, port);
  t.equal(await probe('127.0.0.1', closed, '/health', 1_000), false);
});
