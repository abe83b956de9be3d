// Removing what a fleet holds in Docker: its members and its network. One way, used by the
// daemon when it goes down and by `fleet down` when no daemon is left to ask.
import type { Engine } from './engine.js';

export interface Removed {
  removedContainers: number;
  removedNetwork: boolean;
}

/** Stops (gracefully, for `graceSeconds(id)`) and removes every member, then the network. */
export async function removeFleet(engine: Engine, fleet: string, graceSeconds: (id: string) => number): Promise<Removed> {
  const containers = await engine.listMembers(fleet);
  const results = await Promise.allSettled(containers.map((c) => engine.stopAndRemove(c.id, c.running ? graceSeconds(c.id) : 0)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return { removedContainers: containers.length, removedNetwork: await engine.removeNetwork(fleet) };
}
