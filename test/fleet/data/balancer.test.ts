// The balancer against real local HTTP servers on port 0: no Docker needed.
import t from 'tap';
import http from 'node:http';
import { freePort } from '../../support.js';
import { backend, destroyAgent, request, startBalancer } from './support.js';

t.teardown(destroyAgent);

async function balancer(t: Parameters<typeof startBalancer>[0], ports: Record<string, number>, options: { responseTimeoutMs?: number } = {}) {
  const { members, port } = await startBalancer(t, ports, { upstream: options.responseTimeoutMs ? { responseTimeoutMs: options.responseTimeoutMs } : {} });
  return { members, port };
}

function get(port: number, path = '/', method = 'GET') {
  return request(port, { path, method });
}

t.test('round robin spreads requests evenly', async (t) => {
  const a = await backend(t, 'a');
  const b = await backend(t, 'b');
  const c = await backend(t, 'c');
  const { port } = await balancer(t, { a: a.port, b: b.port, c: c.port });
  const counts: Record<string, number> = {};
  for (let i = 0; i < 300; i++) {
    const res = await get(port);
    const served = String(res.headers['x-served-by']);
    counts[served] = (counts[served] ?? 0) + 1;
  }
  t.same(counts, { a: 100, b: 100, c: 100 }, 'each member serves exactly a third');
});

t.test('X-Forwarded-For is set, once, even after a retry', async (t) => {
  const a = await backend(t, 'a');
  const dead = await freePort();
  const { port } = await balancer(t, { dead, a: a.port });
  for (let i = 0; i < 2; i++) {
    const res = await get(port);
    t.equal(res.body, 'a 127.0.0.1\n', 'the client address appears once');
  }
});

t.test('a member that refuses connections is taken out and the request is retried elsewhere', async (t) => {
  const a = await backend(t, 'a');
  const dead = await freePort();
  const { members, port } = await balancer(t, { dead, a: a.port });
  const results = await Promise.all(Array.from({ length: 20 }, () => get(port)));
  t.ok(
    results.every((r) => r.status === 200 && r.headers['x-served-by'] === 'a'),
    'every request succeeded on the live member',
  );
  t.equal(members.get('dead')?.state, 'down', 'the refusing member is out of rotation');
  t.same(
    members.rotation.map((m) => m.id),
    ['a'],
    'only the live member is in rotation',
  );
});

t.test('503 with a named error when no member is in rotation, without waiting', async (t) => {
  const { port } = await balancer(t, {});
  const res = await get(port);
  t.equal(res.status, 503);
  t.match(res.body, /no healthy member/);
  t.match(res.body, /FLEET_NO_MEMBER/);
});

t.test('503 when every member refuses', async (t) => {
  const { port } = await balancer(t, { x: await freePort(), y: await freePort() });
  const res = await get(port);
  t.equal(res.status, 503, 'both were tried, then none was left');
});

t.test('upstream errors never crash the balancer', async (t) => {
  const reset = await backend(t, 'reset', (req) => req.socket.destroy());
  const { port } = await balancer(t, { reset: reset.port });
  const res = await get(port);
  t.equal(res.status, 502, 'a reset before any answer is a 502');
  t.match(res.body, /FLEET_UPSTREAM_ERROR/);

  const half = await backend(t, 'half', (_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    // Reset once the partial answer is on its way.
    res.write('partial', () => res.socket?.destroy());
  });
  const second = await balancer(t, { half: half.port });
  await t.rejects(get(second.port), 'a reset mid-answer closes the client connection');
  const after = await get(port);
  t.equal(after.status, 502, 'the balancer still answers afterwards');
});

t.test('a member that does not answer in time gives 504, not 502', async (t) => {
  const slow = await backend(t, 'slow', () => {});
  const { port } = await balancer(t, { slow: slow.port }, { responseTimeoutMs: 100 });
  const res = await get(port, '/', 'POST');
  t.equal(res.status, 504);
  t.match(res.body, /FLEET_UPSTREAM_TIMEOUT/);
});

t.test('an idempotent request that times out is retried on the next member', async (t) => {
  const slow = await backend(t, 'slow', () => {});
  const a = await backend(t, 'a');
  const { port } = await balancer(t, { slow: slow.port, a: a.port }, { responseTimeoutMs: 100 });
  for (let i = 0; i < 4; i++) {
    const res = await get(port);
    t.equal(res.status, 200, `request ${i + 1} succeeded`);
  }
});

t.test('a member that goes down gives up what it has not answered: a GET goes elsewhere at once, a POST waits for its answer', async (t) => {
  const arrived: string[] = [];
  let heard: () => void = () => undefined;
  const silent = await backend(t, 'silent', (req) => {
    arrived.push(req.method ?? '');
    heard();
  });
  const a = await backend(t, 'a');
  const { balancer: b, members, port } = await startBalancer(t, { silent: silent.port, a: a.port }, { upstream: { responseTimeoutMs: 60_000 } });
  // Sends `method` requests until one reaches the silent member (round robin sends the others to a); returns that one.
  const toSilent = async (method: string) => {
    for (;;) {
      const reached = new Promise<'silent'>((resolve) => (heard = () => resolve('silent')));
      const sent = get(port, '/', method);
      if ((await Promise.race([reached, sent.then(() => 'a' as const)])) === 'silent') return { sent };
    }
  };
  const { sent: getting } = await toSilent('GET');
  let posted = false;
  const posting = toSilent('POST').then(({ sent }) => sent.then(() => (posted = true), () => undefined));
  while (arrived.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  t.same(arrived, ['GET', 'POST'], 'a GET and a POST reached the silent member');

  // What a worker does when a snapshot says the member is down.
  for (let i = 0; i < 3; i++) members.report('silent', false);
  b.abandon('silent');
  const res = await getting;
  t.equal(res.status, 200, 'the GET is answered');
  t.equal(res.headers['x-served-by'], 'a', 'by the member still up, without waiting for the 60 s timeout');
  t.equal((await get(port)).headers['x-served-by'], 'a', 'a later request goes to the member up');
  t.notOk(posted, 'the POST still waits: the member may have acted on it');
  b.abandon('silent');
  b.abandon('nobody');
  t.notOk(posted, 'giving up again, or on a member with nothing pending, changes nothing');
  silent.server.closeAllConnections();
  await posting;
});

t.test('hop-by-hop headers are not forwarded', async (t) => {
  let seen: http.IncomingHttpHeaders = {};
  const echo = await backend(t, 'echo', (req, res) => {
    seen = req.headers;
    res.setHeader('Keep-Alive', 'timeout=60, max=7');
    res.setHeader('X-Private', 'drop-me');
    res.setHeader('Connection', 'X-Private');
    res.end('ok');
  });
  const { port } = await balancer(t, { echo: echo.port });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { Connection: 'X-Secret', 'X-Secret': 'hop', 'Proxy-Connection': 'keep-alive', TE: 'trailers' } }, resolve);
    req.on('error', reject);
    req.end();
  });
  res.resume();
  t.equal(seen['x-secret'], undefined, 'a header named in Connection is dropped');
  t.equal(seen['proxy-connection'], undefined, 'Proxy-Connection is dropped');
  t.equal(seen.te, undefined, 'TE is dropped');
  t.equal(seen.connection, 'keep-alive', 'the member connection is kept alive');
  t.equal(res.headers['x-private'], undefined, "a response header named in the member's Connection is dropped");
  t.equal(res.headers['keep-alive'], 'timeout=5', "the member's Keep-Alive is dropped, and the balancer's own idle timeout (5000 ms) is hinted");
});

t.test('requests in flight keep their member when it is fenced, and drain ends when they finish', async (t) => {
  let arrived = (_finish: () => void): void => undefined;
  const reached = new Promise<() => void>((resolve) => (arrived = resolve));
  const slow = await backend(t, 'slow', (_req, res) => arrived(() => res.end('late\n')));
  const { members, port } = await balancer(t, { slow: slow.port });
  const pending = get(port);
  const finish = await reached;
  t.equal(members.get('slow')?.inflight, 1, 'one request in flight');
  members.fence('slow');
  const drained = members.idle('slow', 5_000);
  finish();
  const res = await pending;
  t.equal(res.status, 200, 'the request in flight finished on the fenced member');
  t.equal(await drained, true, 'the drain ended when it finished');
  t.equal((await get(port)).status, 503, 'new requests no longer reach it');
});
