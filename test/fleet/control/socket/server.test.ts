// The control server on a real unix socket, driven by raw requests: every body is checked
// against its route before a handler sees it, refusals are 4xx with a stable code, a
// handler's bug is a 500, and a huge body is refused early without being held in memory.
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { CONTROL_MAX_BODY_BYTES } from '../../../../src/fleet/config.js';
import { FleetError } from '../../../../src/fleet/errors.js';
import { DOWN, STATUS, parseAnswer, raw, request, serve, tempRunDir } from './helpers.js';
import { turn } from '../../../clock.js';

const refused: [string, string, RegExp, number, string][] = [
  // what, raw request, error message, status, code
  ['a body that is not JSON', request('POST', '/scale', '{"delta":'), /^the body of POST \/scale is not JSON$/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['a JSON array', request('POST', '/scale', '[{"delta":1}]'), /must be a JSON object, not an array$/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['a JSON number', request('POST', '/scale', '42'), /must be a JSON object, not a number$/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['a JSON string', request('POST', '/down', '"down"'), /must be a JSON object, not a string$/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['JSON null', request('POST', '/down', 'null'), /must be a JSON object, not null$/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['a missing field', request('POST', '/scale', '{}'), /^POST \/scale: delta: expected a number \(got undefined\)$/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['a field of the wrong type', request('POST', '/scale', '{"delta":"1"}'), /^POST \/scale: delta: expected a number \(got "1"\)$/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['a fraction', request('POST', '/scale', '{"delta":1.5}'), /^POST \/scale: delta: expected to be an integer \(got 1\.5\)$/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['a scale by nothing', request('POST', '/scale', '{"delta":0}'), /^POST \/scale: delta: expected a number of members other than 0 \(got 0\)$/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['a scale past any fleet', request('POST', '/scale', '{"delta":-251}'), /^POST \/scale: delta: expected to be in the \[-250; 250\] range \(got -251\)$/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['an unknown field', request('POST', '/scale', '{"delta":1,"force":true}'), /^POST \/scale: force: extraneous property/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['a rollout without an image', request('POST', '/rollout', '{"readyTimeoutMs":60000}'), /^POST \/rollout: image: expected a string \(got undefined\)$/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['a rollout to a name no image can have', request('POST', '/rollout', '{"image":"-rm -rf","readyTimeoutMs":60000}'), /^POST \/rollout: image: expected to match the pattern/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['a rollout with a ready timeout under a second', request('POST', '/rollout', '{"image":"a:b","readyTimeoutMs":10}'), /^POST \/rollout: readyTimeoutMs: expected to be in the \[1000; 3600000\] range \(got 10\)$/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['arguments to a call that takes none', request('POST', '/down', '{"now":true}'), /^POST \/down: now: extraneous property/, 400, 'FLEET_CONTROL_BAD_REQUEST'],
  ['an unknown path', request('GET', '/secrets'), /^no such control call: GET \/secrets$/, 404, 'FLEET_CONTROL_NOT_FOUND'],
  ['a known path with the wrong method', request('GET', '/down'), /^\/down takes POST, not GET$/, 405, 'FLEET_CONTROL_METHOD_NOT_ALLOWED'],
  ['another wrong method', request('DELETE', '/status'), /^\/status takes GET, not DELETE$/, 405, 'FLEET_CONTROL_METHOD_NOT_ALLOWED'],
  [
    'a body one byte over the limit',
    request('POST', '/scale', `{"delta":1}${' '.repeat(CONTROL_MAX_BODY_BYTES - 10)}`),
    /^the body of POST \/scale is larger than 65536 bytes$/,
    413,
    'FLEET_CONTROL_TOO_LARGE',
  ],
];

t.test('a request that breaks the protocol is refused before any handler runs', async (t) => {
  const served = await serve(t, path.join(tempRunDir(t), 'fleet.sock'));
  for (const [what, bytes, message, status, code] of refused) {
    const answer = await raw(served.socketPath, bytes);
    t.equal(answer.status, status, `${what}: ${status}`);
    t.match(answer.json, { code, error: message }, `${what}: ${code}, naming what was wrong`);
    t.equal(answer.headers['content-type'], 'application/json', `${what}: the error is JSON`);
  }
  t.same(served.calls, [], 'no handler was called');
});

t.test('the wrong method is told which one the path takes', async (t) => {
  const served = await serve(t, path.join(tempRunDir(t), 'fleet.sock'));
  const answer = await raw(served.socketPath, request('GET', '/scale'));
  t.equal(answer.status, 405, '405');
  t.equal(answer.headers.allow, 'POST', 'Allow: POST');
});

t.test('valid calls reach their handler with the checked body', async (t) => {
  const served = await serve(t, path.join(tempRunDir(t), 'fleet.sock'));
  const status = await raw(served.socketPath, request('GET', '/status'));
  t.same([status.status, status.json], [200, STATUS], 'GET /status with no body');
  const scale = await raw(served.socketPath, request('POST', '/scale', '{"delta":-2}'));
  t.same([scale.status, scale.json], [200, { added: [], removed: [], status: STATUS }], 'POST /scale');
  const down = await raw(served.socketPath, request('POST', '/down', '{}'));
  t.same([down.status, down.json], [200, DOWN], 'POST /down with an empty object');
  const exact = await raw(served.socketPath, request('POST', '/scale', `{"delta":3}${' '.repeat(CONTROL_MAX_BODY_BYTES - 11)}`));
  t.equal(exact.status, 200, 'a body of exactly the limit is read');
  t.same(
    served.calls,
    [
      { route: 'status', body: {} },
      { route: 'scale', body: { delta: -2 } },
      { route: 'down', body: {} },
      { route: 'scale', body: { delta: 3 } },
    ],
    'each handler saw its own body',
  );
});

t.test("a handler's failures keep their kind", async (t) => {
  const served = await serve(t, path.join(tempRunDir(t), 'fleet.sock'), {
    status: () => Promise.reject(new Error('status exploded')),
    scale: () => Promise.reject(new FleetError('FLEET_SCALE_REJECTED', 'cannot remove 5: fleet "fake" has 1 members')),
    down: () => Promise.reject(new FleetError('FLEET_BAD_INPUT', 'not now')),
  });
  const bug = await raw(served.socketPath, request('GET', '/status'));
  t.equal(bug.status, 500, 'a plain Error is a 500');
  t.same(bug.json, { code: 'FLEET_INTERNAL', error: 'GET /status failed: status exploded' }, 'with the code FLEET_INTERNAL');
  t.same(served.bugs, ['GET /status'], 'and the daemon hears of the bug');
  const rejected = await raw(served.socketPath, request('POST', '/scale', '{"delta":-5}'));
  t.same([rejected.status, rejected.json], [409, { code: 'FLEET_SCALE_REJECTED', error: 'cannot remove 5: fleet "fake" has 1 members' }], 'a FleetError keeps its code, 409');
  const bad = await raw(served.socketPath, request('POST', '/down', '{}'));
  t.same([bad.status, bad.json], [400, { code: 'FLEET_BAD_INPUT', error: 'not now' }], 'FLEET_BAD_INPUT is a 400');
});

const HUGE = 300 * 1024 * 1024;

interface Upload {
  /** Declare the whole size up front, or send it chunked. */
  framing: 'content-length' | 'chunked';
  /** A chunk per two turns of the event loop (a slow sender); otherwise as fast as the socket takes them. */
  oneAtATime: boolean;
  chunkBytes: number;
}

interface UploadResult {
  answer: ReturnType<typeof parseAnswer> | undefined;
  /** Body bytes the socket accepted before the server closed it. */
  sent: number;
  /** The server closed the connection (rather than the sender giving up). */
  closedByServer: boolean;
  peakRssGrowth: number;
}

// Streams up to 300 MiB to POST /scale, respecting backpressure so the sender holds one chunk,
// until the server closes the connection; gives up after 300 MiB or 60 s.
async function upload(socketPath: string, how: Upload): Promise<UploadResult> {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  // Sampled at each step of the upload: what the server holds grows, if at all, as bytes arrive.
  const sample = (): void => void (peak = Math.max(peak, process.memoryUsage().rss));
  const socket = net.connect(socketPath);
  const received: Buffer[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => {});
  const gone = new Promise<void>((resolve) => socket.once('close', () => ((closed = true), resolve())));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const framing = how.framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${HUGE}`;
  socket.write(`POST /scale HTTP/1.1\r\nHost: fleet\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`);
  const chunk = Buffer.alloc(how.chunkBytes, 0x20);
  const head = Buffer.from(`${how.chunkBytes.toString(16)}\r\n`);
  const deadline = Date.now() + 60_000;
  let sent = 0;
  while (!closed && sent < HUGE && Date.now() < deadline) {
    const data = how.framing === 'chunked' ? Buffer.concat([head, chunk, Buffer.from('\r\n')]) : chunk;
    const flushed = socket.write(data);
    sent += how.chunkBytes;
    if (!flushed) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), gone]);
    // Slowly: a chunk per two turns of the event loop, the server reading and answering
    // between; like a real client, it stops sending once the answer arrives.
    if (how.oneAtATime) {
      await turn();
      await turn();
      if (received.length > 0) break;
    }
    sample();
  }
  // An answer came: the server closes the connection after it (Connection: close).
  if (received.length > 0) await gone;
  const closedByServer = closed;
  socket.destroy();
  await gone;
  sample();
  const bytes = Buffer.concat(received);
  return { answer: bytes.length ? parseAnswer(bytes, closed) : undefined, sent, closedByServer, peakRssGrowth: peak - baseline };
}

const uploads: [string, Upload][] = [
  ['declared up front', { framing: 'content-length', oneAtATime: false, chunkBytes: 64 * 1024 }],
  ['chunked, as fast as the socket takes it', { framing: 'chunked', oneAtATime: false, chunkBytes: 64 * 1024 }],
  ['chunked, slowly', { framing: 'chunked', oneAtATime: true, chunkBytes: 4 * 1024 }],
];

for (const [what, how] of uploads) {
  t.test(`a 300 MiB body ${what} is refused early and never held`, async (t) => {
    const served = await serve(t, path.join(tempRunDir(t), 'fleet.sock'));
    const result = await upload(served.socketPath, how);
    t.ok(result.closedByServer, 'the server closed the connection');
    t.equal(result.answer?.status, 413, 'after answering 413');
    t.match(result.answer?.json, { code: 'FLEET_CONTROL_TOO_LARGE' }, 'with the code FLEET_CONTROL_TOO_LARGE');
    t.ok(result.sent < 32 * 1024 * 1024, `it took ${(result.sent / 1024 / 1024).toFixed(1)} MiB of the 300 before closing`);
    // The server runs in this process: its memory is what the sender would grow in a daemon.
    t.ok(result.peakRssGrowth < 32 * 1024 * 1024, `RSS grew by ${(result.peakRssGrowth / 1024 / 1024).toFixed(1)} MiB at most`);
    t.same(served.calls, [], 'no handler was called');
  });
}
