// A request body before a member is picked: none, read whole up to BUFFER_BYTES, streamed
// past it (what was read first), too large for the limit, or cut off by the client.
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import t from 'tap';
import { BUFFER_BYTES, type Body, readBody } from '../../../src/fleet/data/body.js';

/** A request whose body the test writes. */
function request(): PassThrough & { complete: boolean } {
  return Object.assign(new PassThrough(), { complete: false });
}

const as = (req: PassThrough): IncomingMessage => req as unknown as IncomingMessage;

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

t.test('what the declared length alone decides', async (t) => {
  const cases: [string, 'none' | 'chunked' | number, number, Body['kind']][] = [
    ['no body', 'none', 1_000, 'none'],
    ['a declared length past the limit', 2_000, 1_000, 'too-large'],
    ['a declared length past the buffer, within the limit', BUFFER_BYTES + 1, 10 * BUFFER_BYTES, 'streaming'],
  ];
  for (const [what, length, max, kind] of cases) {
    const req = request();
    const body = await readBody(as(req), length, max);
    t.equal(body.kind, kind, `${what}: ${kind}`);
    if (body.kind === 'streaming') t.equal(body.stream, req, 'the request itself streams, unread');
  }
});

t.test('a body within the buffer is read whole, declared or chunked', async (t) => {
  for (const length of [11, 'chunked'] as const) {
    const req = request();
    const reading = readBody(as(req), length, 1_000);
    req.write('hello ');
    req.end('world');
    const body = await reading;
    t.same(body.kind === 'buffered' && body.data.toString(), 'hello world', `${length}: buffered`);
    t.equal(req.listenerCount('data'), 0, `${length}: the reader let go of the request`);
  }
});

t.test('a chunked body past the limit while it is read is too large', async (t) => {
  const req = request();
  const reading = readBody(as(req), 'chunked', 10);
  req.write('0123456789');
  req.write('x');
  t.equal((await reading).kind, 'too-large');
});

t.test('a chunked body past the buffer streams: what was read first, then the rest', async (t) => {
  const req = request();
  const reading = readBody(as(req), 'chunked', 4 * BUFFER_BYTES);
  const first = Buffer.alloc(BUFFER_BYTES + 1, 'a');
  req.write(first);
  const body = await reading;
  if (body.kind !== 'streaming') return t.fail(`streaming, not ${body.kind}`);
  req.end(Buffer.alloc(10, 'b'));
  const all = await drain(body.stream);
  t.equal(all.length, BUFFER_BYTES + 11, 'every byte, in order');
  t.equal(all.subarray(-10).toString(), 'b'.repeat(10));
});

t.test('a streamed body past the limit fails its stream with FLEET_BODY_TOO_LARGE', async (t) => {
  const req = request();
  const max = BUFFER_BYTES + 100;
  const reading = readBody(as(req), 'chunked', max);
  req.write(Buffer.alloc(BUFFER_BYTES + 1));
  const body = await reading;
  if (body.kind !== 'streaming') return t.fail(`streaming, not ${body.kind}`);
  req.write(Buffer.alloc(200));
  await t.rejects(drain(body.stream), { code: 'FLEET_BODY_TOO_LARGE', message: `the request body exceeds ${max} bytes` });
});

t.test('a client gone before the body ended: aborted', async (t) => {
  const req = request();
  const reading = readBody(as(req), 100, 1_000);
  req.write('part');
  req.destroy();
  t.equal((await reading).kind, 'aborted');
});
