// Removing what a fleet holds in Docker: its members and its network. One way, used by the
// daemon when it goes down and by `fleet down` when no daemon is left to ask.
import pLimit from 'p-limit';
import pRetry from 'p-retry';
import { FleetError, messageOf } from '../errors.js';
import type { Engine } from './engine.js';

export interface Removed {
  removedContainers: number;
  removedNetwork: boolean;
}

/**
 * Removals in flight at once. 250 at once queued in dockerd past the client's 30 s timeout
 * and failed ("socket hang up"), leaving the members behind a `fleet down` that said it was done.
 */
const REMOVALS_AT_ONCE = 16;

/**
 * Stops (gracefully, for `graceSeconds(id)`) and removes every member, then the network. A
 * removal that fails is tried again; what is still there after that is an error naming it,
 * never a silent success.
 */
export async function removeFleet(engine: Engine, fleet: string, graceSeconds: (id: string) => number): Promise<Removed> {
  const containers = await engine.listMembers(fleet);
  const failures: string[] = [];
  const limit = pLimit(REMOVALS_AT_ONCE);
  await Promise.all(
    containers.map(({ id, running }) =>
      limit(() => pRetry(() => engine.stopAndRemove(id, running ? graceSeconds(id) : 0), { retries: 3, minTimeout: 500 })).catch((error: unknown) => {
        failures.push(messageOf(error));
      }),
    ),
  );
  if (failures.length > 0) {
    throw new FleetError('FLEET_ENGINE_ERROR', `${failures.length} of ${containers.length} members of fleet "${fleet}" could not be removed (${failures[0]}); "fleet down --name ${fleet}" again removes what is left`);
  }
  return { removedContainers: containers.length, removedNetwork: await engine.removeNetwork(fleet) };
}
