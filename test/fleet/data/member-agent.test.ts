// The connect timeout times out connections that are not made, not a worker that ran late:
// a loop blocked past the timeout (a starved or busy worker) while the connection was made in
// time must not fail the request; a connection that is never made is still timed out.
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import t from 'tap';
import { MemberAgent } from '../../../src/fleet/data/member-agent.js';

function blockFor(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // a worker too busy to turn its event loop
  }
}

function get(agent: http.Agent, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, agent, path: '/' }, (res) => {
      res.resume();
      res.on('end', () => resolve(`status ${res.statusCode}`));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

t.test('a connection made in time is used, however late the loop turns', async (t) => {
  const server = http.createServer((_, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as net.AddressInfo;
  const agent = new MemberAgent({ connectTimeoutMs: 50, keepAlive: false, maxIdle: 64 });
  t.teardown(() => agent.destroy());
  const answer = get(agent, port);
  // The connection completes within microseconds; the loop next turns 200 ms later, when the
  // 50 ms timer is due as well.
  blockFor(200);
  t.equal(await answer, 'status 200');
});

t.test('a connection that is never made is timed out', async (t) => {
  // A socket that listens with a backlog of 0 and never accepts: once its queue is full, the
  // kernel drops further SYNs and a connect hangs, as to a member that is gone without a reset.
  const child = spawn('python3', ['-c', 'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)']);
  t.teardown(() => child.kill());
  const port = Number(await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()))));
  const fillers = Array.from({ length: 4 }, () => net.connect(port, '127.0.0.1').on('error', () => {}));
  t.teardown(() => fillers.forEach((s) => s.destroy()));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const agent = new MemberAgent({ connectTimeoutMs: 300, keepAlive: false, maxIdle: 64 });
  t.teardown(() => agent.destroy());
  t.equal(await get(agent, port), 'FLEET_CONNECT_TIMEOUT');
});

t.test('a burst frees its connections at once: up to maxIdle of them are kept and used again', async (t) => {
  let connections = 0;
  const server = http.createServer((_, res) => res.end('ok'));
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as net.AddressInfo;
  const burst = async (agent: MemberAgent): Promise<void> => {
    const answers = await Promise.all(Array.from({ length: 150 }, () => get(agent, port)));
    t.ok(answers.every((a) => a === 'status 200'));
  };
  const cases: [number, number][] = [
    [200, 150],
    [64, 150 + 150 - 64],
  ];
  for (const [maxIdle, expected] of cases) {
    connections = 0;
    const agent = new MemberAgent({ connectTimeoutMs: 1_000, keepAlive: true, maxIdle });
    await burst(agent);
    await new Promise((resolve) => setImmediate(resolve));
    await burst(agent);
    agent.destroy();
    t.equal(connections, expected, `maxIdle ${maxIdle}: two bursts of 150 open ${expected} connections`);
  }
});
