// `fleet down`, SIGTERM, SIGINT, a start that failed: the fleet stops in order and leaves
// nothing in Docker. The control loop stops first (nothing starts or replaces a member any
// more), every member leaves the rotation, the workers finish what is in flight (bounded),
// and only then do the members and the network go.
import type { Logger } from '../../log.js';
import { MEMBER_STOP_GRACE_SECONDS, WORKER_STOP_MS } from '../config.js';
import type { DownResult } from '../control/types.js';
import { messageOf } from '../errors.js';

export interface DownSources {
  fleet: string;
  /** Stops everything that would act on the fleet: the control loop, lists, checks, events. */
  stopControl(): void;
  members: { list(): { id: string }[]; fence(id: string): void };
  workers: { stop(timeoutMs: number): Promise<void> };
  /** Removes the fleet's containers and network from Docker. */
  removeFleet(): Promise<DownResult>;
  log: Logger;
}

/** How long a member gets to stop: a healthy one finishes gracefully; one that fails its checks would only burn the grace period. */
export function stopGrace(member: { health: { up: boolean | undefined } } | undefined): number {
  return member?.health.up === false ? 0 : MEMBER_STOP_GRACE_SECONDS;
}

/** Stops the fleet and removes its containers and network; throws when Docker kept some of them. */
export async function down(s: DownSources, reason: string): Promise<DownResult> {
  s.log.info('fleet.stopping', { fleet: s.fleet, reason });
  s.stopControl();
  for (const member of s.members.list()) s.members.fence(member.id);
  await s.workers.stop(WORKER_STOP_MS);
  let result: DownResult = { removedContainers: 0, removedNetwork: false };
  let failed: Error | undefined;
  try {
    result = await s.removeFleet();
  } catch (error) {
    failed = error instanceof Error ? error : new Error(messageOf(error));
    s.log.error('fleet.cleanup_failed', { error: failed });
  }
  s.log.info('fleet.stopped', { fleet: s.fleet, containers: result.removedContainers, network: result.removedNetwork });
  // The caller hears what was left behind: a down that removed nothing is no success.
  if (failed) throw failed;
  return result;
}
