// The per-connection record behind pipelining by the RFC, table-driven on stand-in sockets and
// responses (the real ones are exercised by pipelining.test.ts): which requests are admitted,
// and when an answer written straight to the socket may go out.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import t from 'tap';
import { Pipeline } from '../../../src/fleet/data/pipeline.js';

/** A response as Pipeline reads it: `destroyed`, its request's `complete`, and 'close'. */
function response(state: { destroyed?: boolean; complete?: boolean } = {}): ServerResponse & EventEmitter {
  const res = new EventEmitter() as ServerResponse & EventEmitter;
  Object.assign(res, { destroyed: state.destroyed ?? false, req: { complete: state.complete ?? true } });
  return res;
}
const socket = (): Socket => ({}) as Socket;

t.test('admission: requests pass until the connection has ended', async (t) => {
  const cases: { what: string; steps: Array<'admit' | 'end'>; admitted: boolean[] }[] = [
    { what: 'a fresh connection admits every request', steps: ['admit', 'admit', 'admit'], admitted: [true, true, true] },
    { what: 'nothing after a refusal', steps: ['admit', 'end', 'admit', 'admit'], admitted: [true, false, false] },
    { what: 'ended before its first request', steps: ['end', 'admit'], admitted: [false] },
    { what: 'ending twice is ending once', steps: ['admit', 'end', 'end', 'admit'], admitted: [true, false] },
  ];
  for (const c of cases) {
    const pipeline = new Pipeline();
    const s = socket();
    const admitted: boolean[] = [];
    for (const step of c.steps) {
      if (step === 'admit') admitted.push(pipeline.admit(s, response()));
      else pipeline.end(s);
    }
    t.same(admitted, c.admitted, c.what);
    t.equal(pipeline.ended(s), c.steps.includes('end'), `${c.what}: ended() agrees`);
    t.equal(pipeline.ended(socket()), false, `${c.what}: another connection is untouched`);
  }
});

t.test('an answer written to the socket waits for the response owed before it', async (t) => {
  const cases: { what: string; owed?: { destroyed?: boolean; complete?: boolean }; waits: boolean }[] = [
    { what: 'nothing owed: at once', waits: false },
    { what: 'a response still going out: after its close', owed: {}, waits: true },
    { what: 'a response already out: at once', owed: { destroyed: true }, waits: false },
    { what: 'the newest request still arriving is the broken one: at once', owed: { complete: false }, waits: false },
  ];
  for (const c of cases) {
    const pipeline = new Pipeline();
    const s = socket();
    const res = c.owed ? response(c.owed) : undefined;
    if (res) pipeline.admit(s, res);
    let written = 0;
    pipeline.afterResponses(s, () => written++);
    t.equal(written, c.waits ? 0 : 1, c.what);
    res?.emit('close');
    t.equal(written, 1, `${c.what}: written exactly once in the end`);
  }
});

t.test('only the newest response owed is waited for: the server sends them in order', async (t) => {
  const pipeline = new Pipeline();
  const s = socket();
  const first = response();
  const second = response();
  pipeline.admit(s, first);
  pipeline.admit(s, second);
  let written = 0;
  pipeline.afterResponses(s, () => written++);
  first.emit('close');
  t.equal(written, 0, 'the first response out is not enough');
  second.emit('close');
  t.equal(written, 1, 'the answer goes once the newest is out');
});
