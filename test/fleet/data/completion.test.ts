// The one completion hook: each request the balancer takes is seen to its end once, and
// the same record feeds the metrics (answers that completed) and the access log (every
// request, 499 when the client left first), against real local members.
import t from 'tap';
import { watchCompletion } from '../../../src/fleet/data/completion.js';
import type { RequestDone } from '../../../src/fleet/data/request-done.js';
import { RequestStats } from '../../../src/fleet/data/request-stats.js';
import { backend, destroyAgent, rawRequest, startBalancer } from './support.js';

t.teardown(destroyAgent);

/** Records both sinks; `done(n)` resolves once the access log saw n requests. */
function sinks() {
  const answered: { member: string | undefined; status: number; attempts: number }[] = [];
  const logged: RequestDone[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  const observer = {
    answered: (member: string | undefined, status: number, _ms: number, attempts: number) => answered.push({ member, status, attempts }),
  };
  const log = (info: RequestDone): void => {
    logged.push(info);
    for (const w of waiting.filter((w) => logged.length >= w.n)) w.resolve();
  };
  const done = (n: number): Promise<void> => (logged.length >= n ? Promise.resolve() : new Promise((resolve) => waiting.push({ n, resolve })));
  return { answered, logged, observer, log, done };
}

t.test('nothing is listened for when neither the metrics nor the access log want it', async (t) => {
  const res = { once: () => t.fail('no listener') };
  const record = watchCompletion({ socket: {} } as never, res as never, {});
  t.same(record, { member: undefined, attempts: 0 }, 'a record to fill in all the same');
});

const CASES: { what: string; bytes: string; waitMs: number; member?: (ports: { a: number; slow: number }) => Record<string, number>; metrics: object | undefined; log: object }[] = [
  {
    what: 'a served request',
    bytes: 'GET /x HTTP/1.1\r\nHost: h\r\n\r\n',
    waitMs: 2_000,
    metrics: { member: 'a', status: 200, attempts: 1 },
    log: { path: '/x', status: 200, member: 'a' },
  },
  {
    what: 'a request the balancer refuses itself',
    bytes: 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
    waitMs: 2_000,
    metrics: { member: undefined, status: 501, attempts: 0 },
    log: { method: 'POST', status: 501, member: undefined },
  },
  {
    what: 'a client that leaves before the answer',
    bytes: 'GET /wait HTTP/1.1\r\nHost: h\r\n\r\n',
    waitMs: 300,
    member: (ports) => ({ slow: ports.slow }),
    metrics: undefined,
    log: { path: '/wait', status: 499, bytes: 0, member: 'slow' },
  },
];

t.test('each request is reported once to both, from the same record', async (t) => {
  const a = await backend(t, 'a');
  const slow = await backend(t, 'slow', () => {});
  for (const c of CASES) {
    const s = sinks();
    const ports = c.member?.({ a: a.port, slow: slow.port }) ?? { a: a.port };
    const { balancer, port } = await startBalancer(t, ports, { observer: s.observer });
    balancer.onRequestDone = s.log;
    await rawRequest(port, c.bytes, c.waitMs, 1);
    await s.done(1);
    // The access log and the metrics are told in the same turn: nothing more can come.
    t.equal(s.logged.length, 1, `${c.what}: one line of the access log`);
    t.match(s.logged[0], c.log, `${c.what}: the access log's record`);
    if (c.metrics) t.same(s.answered, [c.metrics], `${c.what}: one answer counted in the metrics`);
    else t.same(s.answered, [], `${c.what}: no answer, nothing counted in the metrics`);
  }
});

t.test('a retried request is one answer, counted with its attempts', async (t) => {
  const a = await backend(t, 'a');
  const stats = new RequestStats();
  const { balancer, port } = await startBalancer(t, { gone: 1, a: a.port }, { observer: stats });
  const s = sinks();
  balancer.onRequestDone = s.log;
  for (let i = 0; i < 2; i++) await rawRequest(port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', 2_000, 1);
  await s.done(2);
  const figures = stats.take();
  t.equal(figures?.members.a.codes[1], 2, 'both answered 2xx by a');
  t.equal(figures?.retries, 1, 'the one that met the closed port first counts one retry');
  t.same(
    s.logged.map((line) => line.member),
    ['a', 'a'],
    'the access log names the member that answered',
  );
});
