// Removing a fleet: a few removals at a time, a failed one tried again, and what is still
// there afterwards an error naming it, never a silent success.
import t from 'tap';
import type { Engine } from '../../../src/fleet/docker/engine.js';
import { removeFleet } from '../../../src/fleet/docker/teardown.js';
import { isFleetError } from '../../../src/fleet/errors.js';

function fakeEngine(count: number, failures: (id: string, attempt: number) => boolean) {
  const attempts = new Map<string, number>();
  const state = { inFlight: 0, most: 0, removed: [] as string[], network: false };
  const engine = {
    listMembers: async () => Array.from({ length: count }, (_, i) => ({ id: `c${i}`, name: `m${i}`, ip: `10.0.0.${i}`, running: true, created: i })),
    stopAndRemove: async (id: string) => {
      state.inFlight++;
      state.most = Math.max(state.most, state.inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
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

t.test('many members go a few at a time', async (t) => {
  const { engine, state } = fakeEngine(60, () => false);
  t.same(await removeFleet(engine, 'f', () => 10), { removedContainers: 60, removedNetwork: true });
  t.equal(state.removed.length, 60);
  t.ok(state.most <= 16, `at most 16 at once (${state.most})`);
});

t.test('a removal that fails is tried again', async (t) => {
  const { engine, state } = fakeEngine(3, (id, attempt) => id === 'c1' && attempt < 3);
  t.same(await removeFleet(engine, 'f', () => 0), { removedContainers: 3, removedNetwork: true });
  t.same([...state.removed].sort(), ['c0', 'c1', 'c2']);
});

t.test('a member that cannot be removed is an error naming it, and the network stays', async (t) => {
  const { engine, state } = fakeEngine(3, (id) => id === 'c2');
  const error = await removeFleet(engine, 'f', () => 0).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(isFleetError(error), 'a FleetError');
  t.match((error as Error).message, /^1 of 3 members of fleet "f" could not be removed \(cannot remove container c2: socket hang up\); "fleet down --name f" again removes what is left$/);
  t.notOk(state.network, 'the network is left for the next down');
});
