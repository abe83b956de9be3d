// The access log: its lines (table-driven), and the balancer's hook against real local
// members, once per finished request, whatever way it ended.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { type AccessLogFormat, accessLine, accessLogDestination, accessLogger } from '../../../src/fleet/data/access-log.js';
import type { RequestDone } from '../../../src/fleet/data/request-done.js';
import { backend, destroyAgent, rawRequest, startBalancer } from './support.js';

t.teardown(destroyAgent);

/** Collects the balancer's reports; `count(n)` resolves once n have come (an event, not a sleep). */
function reports(balancer: { onRequestDone?: (info: RequestDone) => void }) {
  const seen: RequestDone[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  balancer.onRequestDone = (info) => {
    seen.push(info);
    for (const w of waiting.filter((w) => seen.length >= w.n)) w.resolve();
  };
  const count = (n: number): Promise<void> => (seen.length >= n ? Promise.resolve() : new Promise((resolve) => waiting.push({ n, resolve })));
  return { seen, count };
}

const AT = new Date('2025-01-02T03:04:05.678Z');
const BASE: RequestDone = { client: '127.0.0.1', method: 'GET', path: '/a?b=1', status: 200, bytes: 612, durationMs: 1.23456, member: 'fleet-x-1a2b3c4d' };

const LINES: { what: string; info: Partial<RequestDone>; format: AccessLogFormat; line: string }[] = [
  { what: 'a served request', info: {}, format: 'text', line: '2025-01-02T03:04:05.678Z 127.0.0.1 GET /a?b=1 200 612 1.235 fleet-x-1a2b3c4d\n' },
  { what: 'no member picked', info: { member: undefined, status: 503 }, format: 'text', line: '2025-01-02T03:04:05.678Z 127.0.0.1 GET /a?b=1 503 612 1.235 -\n' },
  { what: 'a path a reader would split', info: { path: '/a "b"' }, format: 'text', line: '2025-01-02T03:04:05.678Z 127.0.0.1 GET "/a \\"b\\"" 200 612 1.235 fleet-x-1a2b3c4d\n' },
  { what: 'an IPv6 client', info: { client: '::1' }, format: 'text', line: '2025-01-02T03:04:05.678Z ::1 GET /a?b=1 200 612 1.235 fleet-x-1a2b3c4d\n' },
  {
    what: 'JSON',
    info: {},
    format: 'json',
    line: '{"time":"2025-01-02T03:04:05.678Z","event":"http.access","client":"127.0.0.1","method":"GET","path":"/a?b=1","status":200,"bytes":612,"durationMs":1.235,"member":"fleet-x-1a2b3c4d"}\n',
  },
  { what: 'JSON, no member', info: { member: undefined, status: 499, bytes: 0 }, format: 'json', line: '{"time":"2025-01-02T03:04:05.678Z","event":"http.access","client":"127.0.0.1","method":"GET","path":"/a?b=1","status":499,"bytes":0,"durationMs":1.235,"member":null}\n' },
];

t.test('each line says time, client, method, path, status, bytes, milliseconds and member', async (t) => {
  for (const c of LINES) t.equal(accessLine(AT, { ...BASE, ...c.info }, c.format), c.line, c.what);
});

t.test('the balancer reports each finished request once, with what it sent', async (t) => {
  const a = await backend(t, 'a');
  const { balancer, port } = await startBalancer(t, { a: a.port });
  const { seen, count } = reports(balancer);

  const served = await rawRequest(port, 'GET /x?y=1 HTTP/1.1\r\nHost: h\r\n\r\n', 2_000, 1);
  await count(1);
  t.equal(served.status, 200);
  t.equal(seen.length, 1, 'one report');
  t.match(seen[0], { client: '127.0.0.1', method: 'GET', path: '/x?y=1', status: 200, member: 'a' });
  t.equal(seen[0].bytes, Buffer.byteLength(served.text, 'latin1'), 'bytes are those the client received, headers included');
  t.ok(seen[0].durationMs > 0, 'it took some time');

  const refused = await rawRequest(port, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 2_000);
  await count(2);
  t.equal(refused.status, 501);
  t.equal(seen.length, 2, 'a refused request is reported too');
  t.match(seen[1], { method: 'POST', status: 501, member: undefined });
});

t.test('a client that leaves before the answer is logged 499 against its member', async (t) => {
  const slow = await backend(t, 'slow', () => {});
  const { balancer, port } = await startBalancer(t, { slow: slow.port });
  const { seen, count } = reports(balancer);
  await rawRequest(port, 'GET /wait HTTP/1.1\r\nHost: h\r\n\r\n', 300);
  await count(1);
  t.equal(seen.length, 1);
  t.match(seen[0], { path: '/wait', status: 499, bytes: 0, member: 'slow' });
});

t.test('the file destination appends one line per request', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-access-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'access.log');
  fs.writeFileSync(file, 'earlier\n');
  const write = accessLogger(accessLogDestination(file), 'text');
  write(BASE);
  write({ ...BASE, status: 404 });
  t.equal(fs.readFileSync(file, 'utf8'), 'earlier\n', 'the lines of one turn of the event loop wait for its end');
  await new Promise((resolve) => setImmediate(resolve));
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  t.equal(lines[0], 'earlier', 'what was there stays');
  t.match(lines[1], / GET \/a\?b=1 200 612 1\.235 fleet-x-1a2b3c4d$/);
  t.match(lines[2], / 404 /);
  t.equal(lines.length, 4);
});
