// The front door from outside, against the real daemon and real nginx members: hostile raw
// requests never reach a member as more than they are (read in the members' access logs),
// and a thousand keep-alive clients are served while idle and slow clients are cut off.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { hostileCases } from '../data/hostile-cases.js';
import { execFile } from 'node:child_process';
import { type RawAnswer, rawRequest } from '../data/support.js';
import { RUN_ID, converged, docker, inspectMembers, requireEngine, up } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every request line nginx logged, across the fleet's members. */
async function accessLog(name: string): Promise<string[]> {
  const lines: string[] = [];
  for (const id of (await inspectMembers(name)).keys()) {
    const log = await docker('logs', id);
    for (const line of log.split('\n')) {
      const request = /"([A-Z]+ \S+ HTTP\/1\.[01])"/.exec(line);
      if (request) lines.push(request[1]);
    }
  }
  return lines;
}

t.test('hostile raw requests against nginx members', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'hostile', 2);
  await converged(d.name, 2);
  const tag = `/h${RUN_ID}`;
  const cases = hostileCases(
    (i) => `${tag}-case-${i}`,
    (i) => `${tag}-smuggled-${i}`,
  );
  const answers: RawAnswer[] = [];
  for (const c of cases) answers.push(await rawRequest(d.port, c.raw, 3_000, 'paths' in c.want ? c.want.paths.length : undefined));
  await sleep(1_000);
  const logged = (await accessLog(d.name)).filter((line) => line.includes(tag));
  t.same(
    logged.filter((line) => line.includes('-smuggled-')),
    [],
    'no smuggled request reaches any member',
  );
  cases.forEach((c, i) => {
    const own = new Set([`${tag}-case-${i}`, `${tag}-case-${i}a`, `${tag}-case-${i}b`]);
    const seen = logged.map((line) => line.split(' ')[1]).filter((path) => own.has(path));
    if ('refused' in c.want) {
      t.equal(answers[i].status, c.want.refused, `${c.name}: the balancer answers ${c.want.refused}`);
      t.same(seen, [], `${c.name}: no member sees it`);
    } else {
      t.same(seen.sort(), [...c.want.paths].sort(), `${c.name}: the members see exactly what the client sent`);
    }
  });
});

t.test('a thousand keep-alive clients are served while idle and slow clients are cut off', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'crowd', 2, ['--header-timeout', '2000', '--request-timeout', '4000']);
  await converged(d.name, 2);

  const idle: net.Socket[] = [];
  let idleClosed = 0;
  for (let i = 0; i < 2_000; i++) {
    const socket = net.connect(d.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('close', () => idleClosed++);
    socket.resume();
    idle.push(socket);
  }
  t.teardown(() => idle.forEach((s) => s.destroy()));

  const slow = net.connect(d.port, '127.0.0.1');
  let slowAnswer = '';
  let slowClosed = false;
  slow.on('error', () => {});
  slow.on('data', (chunk: Buffer) => (slowAnswer += chunk.toString()));
  slow.on('close', () => (slowClosed = true));
  const trickle = (async () => {
    const message = `GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(40)}\r\n\r\n`;
    for (let i = 0; i < message.length && !slowClosed; i++) {
      slow.write(message[i]);
      await sleep(250);
    }
  })();

  const clients = Array.from({ length: 1_000 }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  t.teardown(() => clients.forEach((c) => c.destroy()));
  const failures: string[] = [];
  let served = 0;
  let shed = 0;
  const latencies: number[] = [];
  const one = (agent: http.Agent): Promise<void> =>
    new Promise((resolve) => {
      const started = Date.now();
      const req = http.get({ host: '127.0.0.1', port: d.port, agent, timeout: 30_000 }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => {
          latencies.push(Date.now() - started);
          if (res.statusCode === 200) served++;
          else if (res.statusCode === 503 && res.headers['retry-after'] === '1' && body.includes('(FLEET_OVERLOADED)')) shed++;
          else failures.push(`status ${res.statusCode} ${/\((FLEET_\w+)\)/.exec(body)?.[1] ?? ''}`.trim());
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('no answer in 30 s')));
      req.on('error', (error) => {
        failures.push(error.message);
        resolve();
      });
    });
  await Promise.all(
    clients.map(async (agent) => {
      for (let i = 0; i < 20; i++) await one(agent);
    }),
  );
  // A stall is a request that never gets an answer; 30 s is far past any queue or timeout of
  // the balancer's, so only a request it lost would reach it (the old balancer lost 97% here).
  const kinds = [...new Set(failures)].slice(0, 5);
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  t.same(kinds, [], `no failure among 20000 requests (${failures.length} failed; latency p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms)`);
  // The bound: no request waits in a queue past --queue-timeout; one the balancer cannot
  // answer in time is shed at once with 503 and Retry-After, never held for seconds.
  t.equal(served + shed, 20_000, `all 20000 answered: 200, or shed with 503 + Retry-After (${served} served, ${shed} shed)`);
  t.ok(served >= 10_000, 'most are served');
  if (failures.length) t.comment(d.logs().split('\n').filter((l) => /WARN|ERROR|member\.state|worker\./.test(l)).slice(0, 40).join('\n'));

  const deadline = Date.now() + 15_000;
  while ((idleClosed < idle.length || !slowClosed) && Date.now() < deadline) await sleep(100);
  await trickle;
  t.equal(idleClosed, idle.length, 'every connection that never sent a byte was closed');
  t.ok(slowClosed, 'the client trickling its headers was closed');
  t.match(slowAnswer, /^HTTP\/1\.1 408 /, 'with a 408');
});

// A Node client keeps a connection until the server closes it, unless the answer hints how
// long the server keeps it idle (`Keep-Alive: timeout=N`, which Node's own answers carry and
// the balancer's proxied ones lacked). Without it, a client that reuses a connection while
// the balancer's close is on its way sees 'socket hang up': CI saw it once in 1137 requests,
// and a client stalled across the close (below) saw it once in 7 tries here. With the hint,
// Node's agent retires the connection a second before the hinted timeout, and the balancer
// closes it a second after.
t.test('a kept-alive client that stalls across the idle timeout is not cut off', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'idle', 1, ['--idle-timeout', '2000']);
  await converged(d.name, 1);
  const agent = new http.Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const get = (): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: d.port, agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res));
      });
      req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
      req.on('error', reject);
    });
  const first = await get();
  t.equal(first.headers['keep-alive'], 'timeout=2', 'a proxied answer hints the idle timeout, in whole seconds');
  await sleep(2_400);
  // Blocked across the moment the balancer closes an idle connection (2 s + Node's 1 s).
  const until = Date.now() + 1_200;
  while (Date.now() < until);
  const second = await get().then(
    (res) => `status ${res.statusCode}`,
    (error: Error) => error.message,
  );
  t.equal(second, 'status 200', 'the next request is answered on a fresh connection');
});

// 2000 busy keep-alive clients (h2load) must not starve a client that opens new connections
// meanwhile: each of its requests is answered (200, or a clean 503), never left in the
// kernel's accept queue behind the busy ones, and no worker is killed for being busy. Before
// each worker accepted through 9 descriptors, a new client waited 2-6 s at the median and
// now and then for good (bench/new-client.mjs, docs/benchmarks.md); before the watchdog
// looked at a silent worker's I/O, it killed an overloaded worker with all its connections.
// The 10 s bound is a stall, not a speed: the slowest answer measured was 5.3 s.
t.test('a new client is answered while 2000 busy clients hammer the balancer', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'busy', 2);
  await converged(d.name, 2);
  const busy = new Promise<string>((resolve) => {
    execFile('h2load', ['--h1', '-c', '2000', '-D', '10', `http://127.0.0.1:${d.port}/`], { timeout: 40_000 }, (error, stdout) => resolve(error ? `h2load: ${error.message}` : stdout));
  });
  await sleep(1_000);
  const asked: Promise<string>[] = [];
  const deadline = Date.now() + 7_000;
  while (Date.now() < deadline) {
    const started = Date.now();
    asked.push(
      new Promise<string>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: d.port, agent: false, timeout: 10_000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(`${res.statusCode === 503 && res.headers['retry-after'] === '1' ? '503' : String(res.statusCode)} ${Date.now() - started}ms`));
        });
        req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
        req.on('error', (error) => resolve(error.message));
      }),
    );
    await sleep(200);
  }
  const answers = await Promise.all(asked);
  const load = await busy;
  t.match(load, /requests: \d+ total/, 'h2load ran');
  t.comment(load.split('\n').filter((l) => /finished in|requests:|status codes/.test(l)).join('\n'));
  t.ok(answers.length >= 10, `the new client asked ${answers.length} times`);
  t.same(
    answers.filter((a) => !/^(200|503) \d+ms$/.test(a)),
    [],
    `every request of the new client is answered 200 or 503 + Retry-After (${answers.join(', ')})`,
  );
  t.notMatch(d.logs(), /worker\.hung/, 'no worker was killed for being busy');
});
