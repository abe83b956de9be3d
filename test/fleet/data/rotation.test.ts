// A worker's copy of the rotation: snapshots in version order, local ejection, requests in
// flight counted per member, and the events the primary needs.
import t from 'tap';
import { type RotationSnapshot, SnapshotRotation } from '../../../src/fleet/data/rotation.js';

const m = (id: string) => ({ id, name: `m-${id}`, ip: `10.0.0.${id.charCodeAt(0) - 96}`, port: 8080 });
const snap = (version: number, members: string[], known = members): RotationSnapshot => ({ version, members: members.map(m), known, down: [] });

function rotation() {
  const events: string[] = [];
  const r = new SnapshotRotation({ failure: (id, unreachable) => events.push(`failure ${id} ${unreachable}`), drained: (id) => events.push(`drained ${id}`) });
  return { r, events };
}

t.test('snapshots apply in version order; an old or repeated one changes nothing', async (t) => {
  const { r } = rotation();
  const cases: [RotationSnapshot, string[] | undefined, string[]][] = [
    [snap(1, ['a', 'b']), [], ['a', 'b']],
    [snap(3, ['a', 'b', 'c']), [], ['a', 'b', 'c']],
    [snap(2, ['a']), undefined, ['a', 'b', 'c']],
    [snap(3, ['z']), undefined, ['a', 'b', 'c']],
    [snap(5, ['b'], ['b', 'c']), ['a'], ['b']],
  ];
  for (const [snapshot, gone, rotationIds] of cases) {
    t.same(r.apply(snapshot), gone, `version ${snapshot.version}: ${gone === undefined ? 'ignored' : `gone: [${gone.join(', ')}]`}`);
    t.same(
      r.rotation.map((x) => x.id),
      rotationIds,
      `rotation after version ${snapshot.version}`,
    );
  }
  t.equal(r.version, 5);
});

t.test('a worker that missed a snapshot catches up with the next one', async (t) => {
  const { r } = rotation();
  r.apply(snap(1, ['a', 'b', 'c']));
  // version 2 (c fenced) never arrived; version 3 drops c from the known set too.
  t.same(r.apply(snap(3, ['a', 'b'], ['a', 'b'])), ['c'], 'the member gone in the meantime is reported gone');
  t.same(
    r.rotation.map((x) => x.id),
    ['a', 'b'],
  );
});

t.test('round robin over the rotation, skipping what is excluded', async (t) => {
  const { r } = rotation();
  r.apply(snap(1, ['a', 'b', 'c']));
  t.same(
    Array.from({ length: 6 }, () => r.next()?.id),
    ['a', 'b', 'c', 'a', 'b', 'c'],
  );
  t.equal(r.next(new Set(['a', 'b', 'c'])), undefined, 'nothing left');
});

t.test('an unreachable member leaves this worker at once, and is back with the next snapshot', async (t) => {
  const { r, events } = rotation();
  r.apply(snap(1, ['a', 'b']));
  r.reportUnreachable('a');
  t.same(
    r.rotation.map((x) => x.id),
    ['b'],
    'out locally, before the primary answers',
  );
  t.same(events, ['failure a true'], 'the primary is told');
  r.reportUnreachable('a');
  t.same(events, ['failure a true', 'failure a true'], 'every failure is reported');
  r.apply(snap(2, ['a', 'b']));
  t.same(
    r.rotation.map((x) => x.id),
    ['a', 'b'],
    'the primary decides: its snapshot ends the local ejection',
  );
  r.report('b', false);
  t.same(events.at(-1), 'failure b false', 'a timeout is reported as a failed check');
  r.report('b', true);
  t.equal(events.length, 3, 'a good answer is not');
});

t.test('requests in flight are counted per member; a drained member is announced', async (t) => {
  const { r, events } = rotation();
  r.apply(snap(1, ['a', 'b']));
  r.acquire('a');
  r.acquire('a');
  r.acquire('b');
  t.same(r.inflight(), { a: 2, b: 1 });
  t.equal(r.active, 3);
  r.apply(snap(2, ['b'], ['a', 'b']));
  r.release('a');
  t.same(events, [], 'still one in flight on the fenced member');
  r.release('a');
  t.same(events, ['drained a'], 'its last one ended: announced, so a drain need not wait for the next beat');
  r.release('b');
  t.same(events, ['drained a'], 'a member in rotation is not announced');
  t.same(r.inflight(), {});
  r.release('zz');
  t.same(r.inflight(), {}, 'releasing what was never acquired changes nothing');
});
