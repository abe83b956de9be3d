// Client resource bounds and member queues, against real local servers: idle and slow
// clients are closed within their deadlines while normal requests go on, the connection
// limit refuses clearly, a full or slow member never makes a request hang.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { BUFFER_BYTES } from '../../../src/fleet/data/body.js';
import { type Tap, backend, destroyAgent, rawMember, rawRequest, request, startBalancer } from './support.js';

t.teardown(destroyAgent);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens `count` connections that send nothing; resolves once all are connected. */
async function idleConnections(port: number, count: number): Promise<{ sockets: net.Socket[]; open: () => number }> {
  let closed = 0;
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Socket>((resolve) => {
          const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
          socket.on('error', () => {});
          socket.resume();
          socket.once('close', () => closed++);
        }),
    ),
  );
  return { sockets, open: () => count - closed };
}

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(50);
  }
  return condition();
}

t.test('connections that never send a byte are closed at the header deadline, and others are served meanwhile', async (t) => {
  const a = await backend(t, 'a');
  const { port, balancer } = await startBalancer(t, { a: a.port }, { client: { headerTimeoutMs: 1_000 } });
  const idle = await idleConnections(port, 2_000);
  t.teardown(() => idle.sockets.forEach((s) => s.destroy()));
  const answers = [];
  for (let i = 0; i < 20; i++) answers.push((await request(port, { agent: false })).status);
  t.same([...new Set(answers)], [200], 'normal requests are answered during the flood');
  t.ok(await waitFor(() => balancer.connections === 0, 8_000), `the balancer closed every idle connection (${balancer.connections} of 2000 still open)`);
  t.ok(await waitFor(() => idle.open() === 0, 2_000), `and the clients saw them close (${idle.open()} still open)`);
});

/**
 * A client that writes `head` and then one byte of `trickle` every 100 ms, round and round,
 * until the balancer closes it: only the balancer's deadline can end it, so the test waits
 * on the close, not on a count of sleeps.
 */
function trickler(t: Tap, port: number, head: string, trickle: string): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.write(head);
  let i = 0;
  const timer = setInterval(() => socket.writable && socket.write(trickle[i++ % trickle.length]), 100);
  t.teardown(() => {
    clearInterval(timer);
    socket.destroy();
  });
  return new Promise((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve(text);
    }),
  );
}

t.test('a client trickling its headers gets 408 and is closed', async (t) => {
  const a = await backend(t, 'a');
  const { port } = await startBalancer(t, { a: a.port }, { client: { headerTimeoutMs: 1_000 } });
  // Header lines that never end: only the header deadline stops them.
  const text = await trickler(t, port, 'GET / HTTP/1.1\r\nHost: x\r\n', 'X-Slow: a\r\n');
  t.match(text, /^HTTP\/1\.1 408 /, 'closed with a 408 while the headers still trickled');
});

t.test('a client trickling its body gets 408, and the member never sees the request', async (t) => {
  const member = await rawMember(t);
  const { port } = await startBalancer(t, { raw: member.port }, { client: { headerTimeoutMs: 500, requestTimeoutMs: 1_500 } });
  // A body the balancer reads whole before picking a member, far longer than the trickle
  // could send before the test's own timeout.
  const text = await trickler(t, port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${BUFFER_BYTES}\r\n\r\n`, 'a');
  t.match(text, /^HTTP\/1\.1 408 /, 'closed with a 408 before the body was complete');
  t.same(member.received(), [], 'no connection to the member was used for it');
});

t.test('past the connection limit a client gets a 503 and a close, not a hang', async (t) => {
  const a = await backend(t, 'a');
  const { port, balancer } = await startBalancer(t, { a: a.port }, { client: { maxConnections: 50 } });
  const held = await idleConnections(port, 50);
  t.teardown(() => held.sockets.forEach((s) => s.destroy()));
  t.ok(await waitFor(() => balancer.connections === 50, 5_000), 'the balancer holds the 50 connections');
  const refused = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 3_000);
  t.equal(refused.status, 503, 'the 51st connection is answered 503');
  t.match(refused.text, /FLEET_TOO_MANY_CONNECTIONS/, 'naming why');
  t.ok(refused.closed, 'and closed');
  held.sockets.slice(0, 10).forEach((s) => s.destroy());
  t.ok(await waitFor(() => balancer.connections === 40, 5_000), 'the balancer saw 10 of them close');
  t.equal((await request(port, { agent: false })).status, 200, 'once connections close, new ones are served');
});

t.test('bodies past the limit are refused before any member sees them', async (t) => {
  const member = await rawMember(t);
  const { port } = await startBalancer(t, { raw: member.port }, { client: { maxBodyBytes: 1_000 } });
  const declared = await rawRequest(port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n${'a'.repeat(1001)}`);
  t.equal(declared.status, 413, 'a declared length past the limit is 413');
  t.ok(declared.closed, 'and the connection closes');
  const chunked = await rawRequest(port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n${'a'.repeat(1001)}\r\n0\r\n\r\n`);
  t.equal(chunked.status, 413, 'a chunked body that grows past the limit is 413');
  const expect = await rawRequest(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n');
  t.equal(expect.status, 413, 'Expect: 100-continue with a length past the limit is refused at once');
  t.notMatch(expect.text, /100 Continue/, 'without inviting the body');
  t.same(member.received(), [], 'the member saw none of them');
});

t.test('Expect: 100-continue takes the same path as any request', async (t) => {
  let seen: http.IncomingHttpHeaders = {};
  const echo = await backend(t, 'echo', (req, res) => {
    seen = req.headers;
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  const { port } = await startBalancer(t, { echo: echo.port });
  const answer = await request(port, { method: 'POST', headers: { expect: '100-continue', 'content-length': 5, 'x-forwarded-for': '1.2.3.4' }, body: 'hello', agent: false });
  t.equal(answer.status, 200);
  t.equal(seen['x-forwarded-for'], '127.0.0.1', 'the member sees X-Forwarded-For set by the balancer');
  t.equal(seen.expect, undefined, 'the expectation was met by the balancer');
  t.equal(seen['content-length'], '5', 'the body is framed as the client framed it');
});

t.test('requests queued for a busy member get the same header handling', async (t) => {
  const seen: http.IncomingHttpHeaders[] = [];
  const slow = await backend(t, 'slow', (req, res) => {
    seen.push(req.headers);
    setTimeout(() => res.end('ok'), 20);
  });
  const { port } = await startBalancer(t, { slow: slow.port }, { upstream: { memberConnections: 2 } });
  const answers = await Promise.all(Array.from({ length: 40 }, () => request(port, { headers: { connection: 'x-secret', 'x-secret': 's', 'x-forwarded-for': '6.6.6.6' }, agent: false })));
  t.same([...new Set(answers.map((a) => a.status))], [200], 'all 40 are answered though the member takes two at a time');
  t.equal(seen.length, 40, 'all 40 reached the member');
  t.ok(
    seen.every((h) => h['x-forwarded-for'] === '127.0.0.1' && h['x-secret'] === undefined),
    'each one with X-Forwarded-For replaced and the Connection-named header dropped',
  );
});

/** A member that holds every answer until released; after releaseAll it answers at once. */
async function holdingBackend(t: Parameters<typeof backend>[0]) {
  const release: (() => void)[] = [];
  let holding = true;
  const hold = await backend(t, 'hold', (_req, res) => {
    if (holding) release.push(() => res.end('held\n'));
    else res.end('held\n');
  });
  const releaseAll = (): void => {
    holding = false;
    release.splice(0).forEach((r) => r());
  };
  t.teardown(releaseAll);
  return { hold, release, releaseAll };
}

t.test('a member whose queue is full is skipped; every queue full is 503 at once', async (t) => {
  const { hold, release, releaseAll } = await holdingBackend(t);
  const { port } = await startBalancer(t, { hold: hold.port }, { upstream: { memberConnections: 2, queueSize: 2, queueTimeoutMs: 10_000 } });
  const pending = Array.from({ length: 4 }, () => request(port, { agent: false }));
  t.ok(await waitFor(() => release.length === 2, 5_000), 'the member holds two');
  await sleep(50);
  const full = await request(port, { agent: false });
  t.equal(full.status, 503, 'two in flight and two queued: the fifth gets 503');
  t.match(full.body, /FLEET_QUEUE_FULL/);
  const b = await backend(t, 'b');
  const two = await startBalancer(t, { hold: hold.port, b: b.port }, { upstream: { memberConnections: 1, queueSize: 0, queueTimeoutMs: 10_000 } });
  const holding = request(two.port, { agent: false });
  t.ok(await waitFor(() => release.length === 3, 5_000), 'the member holds one more on the second balancer');
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(await request(two.port, { agent: false }));
  t.same(
    answers.map((a) => a.headers['x-served-by']),
    ['b', 'b', 'b', 'b', 'b'],
    'with another member free, the full one is skipped',
  );
  releaseAll();
  await Promise.all([...pending, holding]);
});

t.test('a request that waits too long for a connection goes to another member', async (t) => {
  const { hold, release, releaseAll } = await holdingBackend(t);
  const b = await backend(t, 'b');
  const { port, members } = await startBalancer(t, { hold: hold.port, b: b.port }, { upstream: { memberConnections: 1, queueTimeoutMs: 200 } });
  const first = request(port, { agent: false });
  t.ok(await waitFor(() => release.length === 1, 5_000), 'the member holds one');
  // Round robin: the next pick is b, then hold again, where it must queue.
  t.equal((await request(port, { agent: false })).headers['x-served-by'], 'b');
  const queued = await request(port, { agent: false, method: 'POST', body: 'x' });
  t.equal(queued.status, 200, 'a POST that never left is sent to another member');
  t.equal(queued.headers['x-served-by'], 'b');
  t.equal(members.get('hold')?.state, 'up', 'a busy member is not marked down');
  releaseAll();
  await first;
});

t.test('slow uploads hold no connection of a member', async (t) => {
  let reached = 0;
  const counter = await backend(t, 'counter', (req, res) => {
    reached++;
    req.resume();
    req.on('end', () => res.end('ok\n'));
  });
  const { port, balancer } = await startBalancer(t, { counter: counter.port }, { upstream: { memberConnections: 4 } });
  const uploads = Array.from({ length: 20 }, () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nslow');
    return socket;
  });
  t.teardown(() => uploads.forEach((s) => s.destroy()));
  t.ok(await waitFor(() => balancer.connections === 20, 5_000), 'the 20 uploads are connected');
  const answers = await Promise.all(Array.from({ length: 10 }, () => request(port, { agent: false })));
  t.same([...new Set(answers.map((a) => a.status))], [200], 'normal requests are served while 20 uploads trickle');
  t.equal(reached, 10, 'the member saw only the complete requests');
});

t.test('1000 concurrent keep-alive clients through two members: no stall, no error', async (t) => {
  const a = await backend(t, 'a');
  const b = await backend(t, 'b');
  const { port } = await startBalancer(t, { a: a.port, b: b.port });
  const clients = Array.from({ length: 1_000 }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  t.teardown(() => clients.forEach((c) => c.destroy()));
  const failures: string[] = [];
  const served: Record<string, number> = {};
  await Promise.all(
    clients.map(async (agent) => {
      for (let i = 0; i < 5; i++) {
        try {
          const answer = await request(port, { agent });
          if (answer.status !== 200) failures.push(`status ${answer.status}: ${answer.body.trim()}`);
          const by = String(answer.headers['x-served-by']);
          served[by] = (served[by] ?? 0) + 1;
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    }),
  );
  t.same(failures.slice(0, 5), [], `no failure in 5000 requests (${failures.length} failed)`);
  t.same(served, { a: 2_500, b: 2_500 }, 'both members served half');
});
