// The engine's container event stream as the agent follows it: each NDJSON line reduced to
// its action and id, torn and empty lines skipped, a dropped stream reconnected after a
// pause (and told), a failing engine retried with backoff, an abort ending it all. The
// engine is a stand-in; the pauses pass on a make-believe clock.
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import t from 'tap';
import { type RawContainerEvent, followContainerEvents } from '../../../src/fleet/docker/follow-events.js';
import { testClock } from '../../clock.js';
import type { Tap } from '../../support.js';

/** An engine whose event streams the test writes; `failing` makes the next getEvents calls fail. */
function engine() {
  const streams: PassThrough[] = [];
  const asked: unknown[] = [];
  const state = { failing: 0 };
  const docker = {
    getEvents: async (options: unknown) => {
      asked.push(options);
      if (state.failing > 0) {
        state.failing--;
        throw new Error('connect ECONNREFUSED /var/run/docker.sock');
      }
      const stream = new PassThrough();
      streams.push(stream);
      return stream;
    },
  };
  return { docker: docker as unknown as Docker, streams, asked, state };
}

function follow(t: Tap, docker: Docker) {
  const time = testClock(t);
  const seen: RawContainerEvent[] = [];
  const told: string[] = [];
  const abort = new AbortController();
  let ended = false;
  void followContainerEvents(
    docker,
    { label: ['role=member'], event: ['start', 'die'] },
    (event) => seen.push(event),
    () => told.push('connect'),
    (reason) => told.push(`drop: ${reason}`),
    abort.signal,
  ).then(() => (ended = true));
  t.teardown(() => abort.abort());
  return { ...time, seen, told, abort, ended: () => ended };
}

t.test('each line is an action and a container id, whichever way the engine spells them', async (t) => {
  const { docker, streams, asked } = engine();
  const { until, seen, told } = follow(t, docker);
  t.ok(await until(() => told.length === 1), 'the stream opens');
  t.same(asked, [{ filters: { type: ['container'], label: ['role=member'], event: ['start', 'die'] } }], 'asked for containers with the labels and events');
  t.same(told, ['connect'], 'the caller hears of the connection');
  streams[0].write('{"Action":"start","Actor":{"ID":"abc"}}\n');
  streams[0].write('\n');
  streams[0].write('{"status":"die","id":"def"}\n{"Act');
  streams[0].write('ion":"die","Actor":{"ID":"ghi"}}\n');
  streams[0].write('not json\n');
  streams[0].write('{}\n');
  t.ok(await until(() => seen.length === 4));
  t.same(seen, [
    { action: 'start', id: 'abc' },
    { action: 'die', id: 'def' },
    { action: 'die', id: 'ghi' },
    { action: '', id: '' },
  ], 'a line split across chunks is whole; empty lines and garbage are skipped');
});

t.test('a dropped stream is told and reconnected after a pause', async (t) => {
  const { docker, streams } = engine();
  const { until, pass, told } = follow(t, docker);
  await until(() => told.length === 1);
  streams[0].end();
  // Told at least once: the stream's end and its close each tell it today.
  t.ok(await until(() => told.includes('drop: event stream closed')), 'the drop is told');
  await pass(150);
  t.equal(streams.length, 1, 'no reconnection at once');
  t.ok(await until(() => told.at(-1) === 'connect', 100), 'reconnected after the pause, and the caller hears of it, to re-list');
  t.equal(streams.length, 2, 'on a new stream');
});

t.test('an engine that cannot be reached is retried with backoff, each failure told', async (t) => {
  const { docker, state } = engine();
  state.failing = 2;
  const { until, told } = follow(t, docker);
  t.ok(await until(() => told.includes('connect'), 5_000), 'the stream opens once the engine answers');
  t.same(told, ['drop: connect ECONNREFUSED /var/run/docker.sock', 'drop: connect ECONNREFUSED /var/run/docker.sock', 'connect']);
});

t.test('an abort ends the follow and closes its stream', async (t) => {
  const { docker, streams } = engine();
  const { until, abort, ended, told } = follow(t, docker);
  await until(() => told.length === 1);
  abort.abort();
  t.ok(await until(ended), 'the follow returns');
  t.ok(streams[0].destroyed, 'its stream is closed');
  t.same(told, ['connect'], 'an abort is no drop');
});

t.test('an abort while the engine fails ends the retries', async (t) => {
  const { docker, streams, state } = engine();
  state.failing = Infinity;
  const { until, pass, abort, ended } = follow(t, docker);
  await pass(1_000);
  abort.abort();
  t.ok(await until(ended), 'the follow returns');
  t.equal(streams.length, 0);
});
