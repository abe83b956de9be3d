// The health probe, table-driven against real local servers on port 0: only a 2xx answer
// within the timeout is healthy; a member that cannot be connected to is unreachable.
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { HealthChecker, type ProbeResult, probe } from '../../../src/fleet/control/checker.js';
import { MemberSet } from '../../../src/fleet/control/members.js';

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
  const cases: { what: string; handler: http.RequestListener; healthy: ProbeResult }[] = [
    { what: '200', handler: (_q, r) => r.end('ok'), healthy: 'up' },
    { what: '204', handler: (_q, r) => r.writeHead(204).end(), healthy: 'up' },
    { what: '301 is not healthy', handler: (_q, r) => r.writeHead(301, { location: '/' }).end(), healthy: 'down' },
    { what: '404', handler: (_q, r) => r.writeHead(404).end(), healthy: 'down' },
    { what: '503', handler: (_q, r) => r.writeHead(503).end(), healthy: 'down' },
    { what: 'connected, but no answer within the timeout: down, not unreachable', handler: () => {}, healthy: 'down' },
    { what: 'the connection dropped', handler: (q) => q.socket.destroy(), healthy: 'down' },
  ];
  for (const c of cases) t.equal(await probe('127.0.0.1', await server(t, c.handler), '/health', 200), c.healthy, c.what);
});

t.test('the probe asks the health path as fleet-health', async (t) => {
  let seen: { url?: string; agent?: string } = {};
  const port = await server(t, (q, r) => {
    seen = { url: q.url, agent: q.headers['user-agent'] };
    r.end();
  });
  t.equal(await probe('127.0.0.1', port, '/healthz', 1_000), 'up');
  t.same(seen, { url: '/healthz', agent: 'fleet-health' });
});

t.test('nothing listening is unreachable', async (t) => {
  const port = await server(t, () => {});
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const closed = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  t.not(closed, port);
  t.equal(await probe('127.0.0.1', closed, '/health', 1_000), 'unreachable');
});

/**
 * A port where connections hang in SYN: a listener (backlog 1) in a stopped child process,
 * its accept queue filled first. The kernel drops later SYNs, as a lost host answers none.
 */
async function hangingPort(t: { teardown: (fn: () => void) => void }): Promise<number> {
  const child = spawn(process.execPath, ['-e', "const s = require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => console.log(s.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
  process.kill(child.pid ?? 0, 'SIGSTOP');
  const fillers: net.Socket[] = [];
  t.teardown(() => fillers.forEach((f) => f.destroy()));
  // Connections the kernel completes until the queue is full; the rest stay connecting.
  for (let i = 0; i < 4; i++) fillers.push(net.connect(port, '127.0.0.1').on('error', () => undefined));
  await new Promise((resolve) => setTimeout(resolve, 300));
  return port;
}

t.test('no connection within the timeout is unreachable; refused or no route is too', async (t) => {
  const port = await hangingPort(t);
  const started = Date.now();
  t.equal(await probe('127.0.0.1', port, '/health', 300), 'unreachable', 'a SYN left unanswered');
  t.ok(Date.now() - started >= 250, 'after the timeout');
  // 192.0.2.1 (TEST-NET-1): no route here (ENETUNREACH), or a SYN nobody answers elsewhere.
  t.equal(await probe('192.0.2.1', 8080, '/health', 300), 'unreachable', 'TEST-NET-1');
});

t.test('a check that cannot connect takes the member down at once; one that connects needs fall failures', async (t) => {
  const members = new MemberSet({ rise: 1, fall: 3 });
  const checker = new HealthChecker(members, { intervalMs: 60_000, timeoutMs: 300, path: '/health' });
  const silent = await server(t, () => {});
  members.upsert({ id: 'slow', name: 'slow', ip: '127.0.0.1', port: silent });
  members.upsert({ id: 'gone', name: 'gone', ip: '127.0.0.1', port: await hangingPort(t) });
  for (const id of ['slow', 'gone']) {
    members.report(id, true);
    members.setReady(id, true);
  }
  t.same(members.rotation.map((m) => m.id).sort(), ['gone', 'slow'], 'both in rotation');
  await Promise.all([checker.check('slow'), checker.check('gone')]);
  t.same(members.rotation.map((m) => m.id), ['slow'], 'after one check each: the one that never connected is out, the slow one stays');
});
