// Removing a fleet: a few removals at a time, a failed one tried again, and what is still
// there afterwards an error naming it, never a silent success.
import t from 'tap';
import type { Engine } from '../../../src/fleet/docker/engine.js';
import { removeFleet } from '../../../src/fleet/docker/teardown.js';
import { isFleetError } from '../../../src/fleet/errors.js';
import { type Tap } from '../../support.js';
import { testClock, turn } from '../../clock.js';

function fakeEngine(count: number, failures: (id: string, attempt: number) => boolean) {
  const attempts = new Map<string, number>();
  const state = { inFlight: 0, most: 0, removed: [] as string[], network: false };
  const engine = {
    listMembers: async () => Array.from({ length: count }, (_, i) => ({ id: `c${i}`, name: `m${i}`, ip: `10.0.0.${i}`, running: true, created: i })),
    stopAndRemove: async (id: string) => {
      state.inFlight++;
      state.most = Math.max(state.most, state.inFlight);
      // In flight for a turn of the event loop: removals overlap as they would on an engine.
      await turn();
      state.inFlight--;
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      if (failures(id, attempt)) throw new Error(`cannot remove container ${id}: socket hang up`);
      state.removed.push(id);
    },
    removeNetwork: async () => (state.network = true),
  };
  return { engine: engine as unknown as Engine, state };
}

/** removeFleet on a make-believe clock: its retries' backoff (p-retry's timers) passes without waiting. */
async function removeOnClock(t: Tap, engine: Engine, grace: number): ReturnType<typeof removeFleet> {
  const { until } = testClock(t);
  let over = false;
  const removal = removeFleet(engine, 'f', () => grace);
  removal.then(
    () => (over = true),
    () => (over = true),
  );
  await until(() => over, 60_000);
  return removal;
}

t.test('many members go a few at a time', async (t) => {
  const { engine, state } = fakeEngine(60, () => false);
  t.same(await removeFleet(engine, 'f', () => 10), { removedContainers: 60, removedNetwork: true });
  t.equal(state.removed.length, 60);
  t.ok(state.most <= 16, `at most 16 at once (${state.most})`);
});

t.test('a removal that fails is tried again', async (t) => {
  const { engine, state } = fakeEngine(3, (id, attempt) => id === 'c1' && attempt < 3);
  t.same(await removeOnClock(t, engine, 0), { removedContainers: 3, removedNetwork: true });
  t.same([...state.removed].sort(), ['c0', 'c1', 'c2']);
});

t.test('a member that cannot be removed is an error naming it, and the network stays', async (t) => {
  const { engine, state } = fakeEngine(3, (id) => id === 'c2');
  const error = await removeOnClock(t, engine, 0).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(isFleetError(error), 'a FleetError');
  t.match((error as Error).message, /^1 of 3 members of fleet "f" could not be removed \(cannot remove container c2: socket hang up\); "fleet down --name f" again removes what is left$/);
  t.notOk(state.network, 'the network is left for the next down');
});
