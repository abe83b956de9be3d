import t from 'tap';
import { MemberSet, type Transition } from '../../../src/fleet/control/members.js';

const config = { rise: 2, fall: 3 };
const addr = (id: string) => ({ id, name: `m-${id}`, ip: `10.0.0.${id.charCodeAt(0) - 96}`, port: 80 });

function ready(set: MemberSet, ...ids: string[]): void {
  for (const id of ids) {
    set.upsert(addr(id));
    set.setReady(id, true);
    set.report(id, true);
  }
}

t.test('a member enters rotation only when it holds the list and passed a check', async (t) => {
  const set = new MemberSet(config);
  set.upsert(addr('a'));
  t.equal(set.rotation.length, 0, 'not after being added');
  set.report('a', true);
  t.equal(set.rotation.length, 0, 'not after a good check alone');
  set.setReady('a', true);
  t.same(
    set.rotation.map((m) => m.id),
    ['a'],
    'once it holds the list',
  );
});

t.test('round robin visits every member in turn', async (t) => {
  const set = new MemberSet(config);
  ready(set, 'a', 'b', 'c');
  const picks = Array.from({ length: 9 }, () => set.next()!.id);
  t.same(picks, ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c']);
});

t.test('next skips excluded members and gives undefined when none is left', async (t) => {
  const set = new MemberSet(config);
  ready(set, 'a', 'b');
  t.equal(set.next(new Set(['a']))?.id, 'b');
  t.equal(set.next(new Set(['a', 'b'])), undefined);
  t.equal(new MemberSet(config).next(), undefined, 'an empty set has no member');
});

t.test('edits are idempotent', async (t) => {
  const set = new MemberSet(config);
  ready(set, 'a');
  const before = set.rotation;
  set.upsert(addr('a'));
  set.setReady('a', true);
  t.equal(set.rotation, before, 'repeating an edit does not swap the rotation');
  set.remove('a');
  set.remove('a');
  t.equal(set.size, 0, 'removing twice is removing once');
  set.fence('zz');
  set.report('zz', true);
  t.equal(set.size, 0, 'edits of unknown members do nothing');
});

t.test('the rotation is swapped, never mutated: a holder of the old array keeps it', async (t) => {
  const set = new MemberSet(config);
  ready(set, 'a', 'b');
  const held = set.rotation;
  set.fence('a');
  t.same(
    held.map((m) => m.id),
    ['a', 'b'],
    'the old array is unchanged',
  );
  t.same(
    set.rotation.map((m) => m.id),
    ['b'],
    'the new array lacks the fenced member',
  );
});

t.test('a fenced member stays out whatever its checks say', async (t) => {
  const set = new MemberSet(config);
  ready(set, 'a');
  set.fence('a');
  set.report('a', true);
  set.report('a', true);
  t.equal(set.get('a')?.state, 'draining');
  t.equal(set.rotation.length, 0);
});

t.test('an unreachable member leaves at once and needs rise checks to return', async (t) => {
  const set = new MemberSet(config);
  ready(set, 'a');
  set.reportUnreachable('a');
  t.equal(set.get('a')?.state, 'down');
  set.report('a', true);
  t.equal(set.get('a')?.state, 'down', 'one good check is not enough');
  set.report('a', true);
  t.equal(set.get('a')?.state, 'up', 'rise good checks bring it back');
});

t.test('transitions are reported once each', async (t) => {
  const seen: Transition[] = [];
  const set = new MemberSet(config, (x) => seen.push(x));
  ready(set, 'a');
  set.fence('a');
  t.same(
    seen.map((x) => `${x.from}>${x.to}`),
    ['pending>up', 'up>draining'],
  );
});

t.test('idle resolves when the last request in flight ends, or false at the timeout', async (t) => {
  const set = new MemberSet(config);
  ready(set, 'a', 'b');
  t.equal(await set.idle('a', 10), true, 'a member with nothing in flight is idle at once');
  set.acquire('a');
  set.acquire('a');
  const waiting = set.idle('a', 5_000);
  set.release('a');
  set.release('a');
  t.equal(await waiting, true, 'idle once both requests ended');
  set.acquire('b');
  t.equal(await set.idle('b', 20), false, 'a request that never ends hits the timeout');
  set.release('b');
  set.release('b');
  t.equal(set.get('b')?.inflight, 0, 'an extra release does not go below zero');
});

t.test('downFor names members that have been down at least that long, and forgets them when they recover', async (t) => {
  let now = 1_000;
  const set = new MemberSet(config, () => {}, () => now);
  ready(set, 'a', 'b');
  set.reportUnreachable('a');
  now += 500;
  t.same(set.downFor(1_000), [], 'not yet');
  now += 600;
  t.same(set.downFor(1_000), ['a'], 'down for 1.1 s');
  set.report('a', true);
  set.report('a', true);
  t.same(set.downFor(0), [], 'back up, no longer a candidate');
  set.reportUnreachable('b');
  set.fence('b');
  t.same(set.downFor(0), [], 'a draining member is already on its way out');
});

t.test('a member slow to start is not counted down during its start period (HEALTHCHECK --start-period)', async (t) => {
  // joined at 0; start period 60 s; replaced after 30 s down.
  const cases: { name: string; upFirst: boolean; downAt: number; now: number; want: boolean }[] = [
    { name: 'never up, failing since it joined, 80 s in', upFirst: false, downAt: 0, now: 80_000, want: false },
    { name: 'never up, failing since it joined, 90 s in', upFirst: false, downAt: 0, now: 90_000, want: true },
    { name: 'never up, failing since 70 s, 95 s in', upFirst: false, downAt: 70_000, now: 95_000, want: false },
    { name: 'never up, failing since 70 s, 100 s in', upFirst: false, downAt: 70_000, now: 100_000, want: true },
    { name: 'up once, then failing since 5 s, 35 s in', upFirst: true, downAt: 5_000, now: 35_000, want: true },
    { name: 'up once, then failing since 5 s, 34 s in', upFirst: true, downAt: 5_000, now: 34_000, want: false },
  ];
  for (const c of cases) {
    let now = 0;
    const set = new MemberSet(config, () => {}, () => now);
    set.upsert({ id: 'a', name: 'a', ip: '10.0.0.1', port: 80 });
    if (c.upFirst) set.report('a', true);
    now = c.downAt;
    set.reportUnreachable('a');
    now = c.now;
    t.equal(set.downFor(30_000, 60_000).includes('a'), c.want, `${c.name}: ${c.want ? 'replaced' : 'left alone'}`);
  }
});

t.test('workers see a new snapshot version only when the rotation or the members change', async (t) => {
  const set = new MemberSet(config);
  let changes = 0;
  set.onChange(() => changes++);
  ready(set, 'a', 'b');
  const version = set.snapshot().version;
  const before = changes;
  set.report('a', true);
  set.report('a', true);
  t.equal(set.snapshot().version, version, 'passing checks change nothing workers need');
  t.equal(changes, before, 'and tell them nothing');
  set.fence('a');
  t.ok(set.snapshot().version > version, 'a fence is a new version');
  t.same(
    set.snapshot().members.map((m) => m.id),
    ['b'],
    'without the fenced member in rotation',
  );
  t.same(set.snapshot().known.sort(), ['a', 'b'], 'which is still known: workers keep its pool for what is in flight');
});

t.test('a snapshot names the members that are down, not the fenced ones: workers give up what the down ones owe', async (t) => {
  const set = new MemberSet(config);
  ready(set, 'a', 'b', 'c');
  t.same(set.snapshot().down, [], 'none while all are up');
  for (let i = 0; i < config.fall; i++) set.report('b', false);
  set.fence('c');
  const snapshot = set.snapshot();
  t.same(snapshot.down, ['b'], 'the member that failed its checks');
  t.same(snapshot.members.map((m) => m.id), ['a'], 'neither is in rotation');
  t.same(snapshot.known.sort(), ['a', 'b', 'c'], 'both are still known');
});

t.test('requests in flight add up over the workers', async (t) => {
  const set = new MemberSet(config);
  ready(set, 'a', 'b');
  set.acquire('a');
  set.setRemote('w1', { a: 2, b: 1 });
  set.setRemote('w2', { a: 3 });
  t.equal(set.get('a')?.inflight, 6, 'this process and both workers');
  t.equal(set.get('b')?.inflight, 1);
  set.removeRemote('w2');
  t.equal(set.get('a')?.inflight, 3, 'a worker that is gone counts for nothing');
});

t.test('a drain waits for every worker, and for one that has not confirmed the fence', async (t) => {
  const set = new MemberSet(config);
  ready(set, 'a', 'b');
  set.setRemote('w1', { a: 1 });
  set.setRemote('w2', {});
  set.fence('a');
  set.markStale('w2');
  let idle = false;
  const drained = set.idle('a', 5_000).then((done) => (idle = done));
  set.setRemote('w1', {});
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(idle, 'w1 is done, but w2 may still pick the member until it confirms the snapshot');
  set.setRemote('w2', {});
  await drained;
  t.ok(idle, 'done once every worker has confirmed and has none in flight');
});

t.test('a drain does not wait for a worker that died', async (t) => {
  const set = new MemberSet(config);
  ready(set, 'a');
  set.setRemote('w1', { a: 4 });
  set.fence('a');
  const drained = set.idle('a', 5_000);
  set.removeRemote('w1');
  t.equal(await drained, true);
});
