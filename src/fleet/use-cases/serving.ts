// After a change settled, its members still have to pass a health check before they serve.
import type { Logger } from '../../log.js';

export interface ServingSources {
  health: { intervalMs: number; timeoutMs: number; rise: number; fall: number };
  controller: { readonly desired: number };
  members: { readonly rotation: readonly unknown[]; rotationReaches(count: number, stallMs: number): Promise<boolean> };
  log: Logger;
}

/**
 * Waits while members keep joining the rotation, for as long as judging one takes (`fall +
 * rise` checks) without one joining. A member still not serving then is left to the checks
 * and logged: the change itself is done.
 */
export async function untilServing(s: ServingSources): Promise<void> {
  const { intervalMs, timeoutMs, fall, rise } = s.health;
  const stallMs = (intervalMs + timeoutMs) * (fall + rise);
  const desired = s.controller.desired;
  if (!(await s.members.rotationReaches(desired, stallMs))) {
    s.log.warn('fleet.not_all_serving', { serving: s.members.rotation.length, desired, waitedMs: stallMs });
  }
}
