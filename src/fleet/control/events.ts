// What a Docker event of a member means for the control plane: the first step of the
// control loop's one path. Every event leads to a full pass (the loop is level-triggered);
// a death also leaves the rotation here, and the controller plans its peers' lists from the
// last observation plus the death at once (`Controller.observeDeath`).
import type { Logger } from '../../log.js';
import type { MemberSet } from './members.js';
import type { Controller } from './reconcile/controller.js';
import type { MemberEvent } from './types.js';

/** What an event may tell the controller. */
export type EventTarget = Pick<Controller, 'observeDeath' | 'observeStart' | 'request'>;

export function routeEvent(event: MemberEvent, members: MemberSet, controller: EventTarget, log: Logger): void {
  const { action, id } = event;
  log.debug('engine.event', { action, id: id.slice(0, 12) });
  if (action === 'die' || action === 'destroy' || action === 'oom') {
    // Out of rotation now: no request should wait on a dead address.
    if (members.get(id)?.state !== 'draining') members.reportUnreachable(id, 'died');
    controller.observeDeath(id);
  } else if (action === 'start' || action === 'restart' || action === 'unpause') {
    controller.observeStart(id);
  } else {
    controller.request();
  }
}
