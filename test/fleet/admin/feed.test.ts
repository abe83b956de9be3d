// The admin page's live feed: a status event at once and on each tick, the notable log
// events as they happen and the last ones replayed on connect, and a client that does not
// keep up dropped. Responses are stand-ins; the ticks run on a make-believe clock.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import t from 'tap';
import { EventFeed, statusEvent } from '../../../src/fleet/admin/feed.js';
import { LogFeed } from '../../../src/fleet/admin/log-feed.js';
import { RequestTotals } from '../../../src/fleet/admin/request-totals.js';
import { SSE_PREAMBLE } from '../../../src/fleet/admin/sse.js';
import type { FleetStatus, MemberStatus } from '../../../src/fleet/control/types.js';
import { testClock } from '../../clock.js';

const member = (id: string, name: string, inflight: number): MemberStatus => ({ id, name, ip: '10.0.0.2', healthy: true, state: 'up', inflight, inSync: true, session: 'open' });
const STATUS: FleetStatus = { name: 'f', desired: 2, port: 8080, host: '127.0.0.1', image: 'i', pid: 1, members: [member('id-a', 'm-a', 2), member('id-b', 'm-b', 1)], workers: [] };

t.test('a status event: each member by id with its rate (idle when it has none), in flight summed', async (t) => {
  const rate = { rps: 5, p50: 0.01, p99: 0.2 };
  const event = statusEvent(new Date(0), STATUS, { totals: rate, members: { 'm-a': rate } }, 42);
  t.same(event, {
    time: '1970-01-01T00:00:00.000Z',
    status: STATUS,
    totals: { ...rate, inflight: 3, requests: 42 },
    members: { 'id-a': rate, 'id-b': { rps: 0, p50: null, p99: null } },
  });
});

/** A client's response: what was written to it, and whether it was dropped. */
class FakeResponse extends EventEmitter {
  text = '';
  destroyed = false;
  writableLength = 0;
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

function feedOf(t: Parameters<typeof testClock>[0]) {
  const time = testClock(t);
  const logs = new LogFeed();
  const feed = new EventFeed(() => STATUS, new RequestTotals(), logs, 1_000);
  feed.start();
  t.teardown(() => feed.stop());
  const client = (): FakeResponse => {
    const res = new FakeResponse();
    feed.add(res as unknown as ServerResponse);
    return res;
  };
  return { ...time, logs, feed, client };
}

const count = (text: string, event: string): number => text.split(`event: ${event}\n`).length - 1;

t.test('a client gets the preamble and a status at once, then one each tick', async (t) => {
  const { clock, feed, client } = feedOf(t);
  const res = client();
  t.ok(res.text.startsWith(SSE_PREAMBLE + 'event: status\n'), 'the preamble, then a status');
  t.equal(feed.size, 1);
  clock.advance(999);
  t.equal(count(res.text, 'status'), 1, 'nothing more before the tick');
  clock.advance(1);
  t.equal(count(res.text, 'status'), 2, 'a status on the tick');
  clock.advance(1_000);
  clock.advance(1_000);
  t.equal(count(res.text, 'status'), 4, 'and on every one after');
});

t.test('notable log events go to every client as they happen, and the last ones to a new one', async (t) => {
  const { logs, client } = feedOf(t);
  const early = client();
  logs.listener('INFO', 'member.started', { id: 'abc' });
  logs.listener('INFO', 'reconcile.plan', { start: 1 });
  t.equal(count(early.text, 'log'), 1, 'the notable one, as it happened');
  t.match(early.text, /event: log\ndata: \{.*"event":"member\.started"/);
  const late = client();
  t.equal(count(late.text, 'log'), 1, 'replayed to a client that came later');
});

t.test('a client that goes, or does not keep up, is dropped; a stopped feed drops all', async (t) => {
  const { clock, feed, client } = feedOf(t);
  const gone = client();
  const slow = client();
  const fine = client();
  t.equal(feed.size, 3);
  gone.emit('close');
  t.equal(feed.size, 2, 'a client that went is no longer sent to');
  slow.writableLength = 2 * 1024 * 1024;
  clock.advance(1_000);
  t.ok(slow.destroyed, 'a client with a megabyte unsent is dropped');
  t.equal(feed.size, 1);
  t.equal(count(fine.text, 'status'), 2, 'the others still get the tick');
  feed.stop();
  t.ok(fine.destroyed, 'stopping the feed ends every stream');
  t.equal(feed.size, 0);
});
