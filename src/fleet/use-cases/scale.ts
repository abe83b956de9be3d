// `fleet add` and `fleet remove`: a new desired count, waited for until the change settled
// and its members serve. The delta was checked where it came in (the CLI's --count, the
// control socket's protocol); what is checked here is what only the running fleet knows.
import type { Logger } from '../../log.js';
import { MAX_REPLICAS, SETTLE_TIMEOUT_MS } from '../config.js';
import type { FleetStatus, ScaleResult } from '../control/types.js';
import { FleetError } from '../errors.js';
import type { ChangeOutcome } from '../control/reconcile/controller.js';

export interface ScaleSources {
  fleet: string;
  /** `settle` resolves to the container ids the controller started and removed while it waited. */
  controller: { readonly desired: number; scaleTo(count: number): void; settle(timeoutMs: number): Promise<ChangeOutcome> };
  status(): FleetStatus;
  untilServing(): Promise<void>;
  log: Logger;
}

/**
 * Scales by `delta` (a non-zero whole number) and reports the members this change started
 * and removed. Those come from what the controller says it started and removed between
 * `scaleTo` and the settle, never from comparing the member lists before and after: a member
 * that died meanwhile and its replacement are not reported as removed and added.
 * A removed member is described as it was before the change, an added one as it is once the
 * change settled (one that is gone again by then is not reported).
 */
export async function scale(s: ScaleSources, delta: number): Promise<ScaleResult> {
  const from = s.controller.desired;
  const target = from + delta;
  if (target < 1) throw new FleetError('FLEET_SCALE_REJECTED', `cannot remove ${-delta}: fleet "${s.fleet}" has ${from} members and keeps at least 1`);
  if (target > MAX_REPLICAS) throw new FleetError('FLEET_SCALE_REJECTED', `cannot add ${delta}: fleet "${s.fleet}" has ${from} members and allows at most ${MAX_REPLICAS}`);
  const before = new Map(s.status().members.map((m) => [m.id, m]));
  s.log.info('fleet.scale', { from, to: target });
  s.controller.scaleTo(target);
  const outcome = await s.controller.settle(SETTLE_TIMEOUT_MS);
  await s.untilServing();
  const change = changeOf(outcome, delta, before);
  const status = s.status();
  const now = new Map(status.members.map((m) => [m.id, m]));
  return {
    added: change.started.flatMap((id) => now.get(id) ?? []),
    removed: change.removed.flatMap((id) => before.get(id) ?? []),
    status,
  };
}

/**
 * Which of what the controller did while a scale by `delta` settled was the scale's: the
 * settle also reports a replacement's start and a dead member's removal. An add reports at
 * most `delta` starts, of members that were not there before; a remove at most `-delta`
 * removals, of members that were, those that were not down then first (a member already
 * dead when the remove began is most likely a replacement's to remove). The controller does
 * not tell a replacement's start from an add's, nor the removal of a member that dies during
 * a remove from the remove's own: either may stand in for one of the change's own, but a
 * change never reports more than it asked for.
 */
export function changeOf(outcome: ChangeOutcome, delta: number, before: ReadonlyMap<string, { state: string }>): ChangeOutcome {
  const wasDown = (id: string): number => (before.get(id)?.state === 'down' ? 1 : 0);
  return {
    started: delta > 0 ? outcome.started.filter((id) => !before.has(id)).slice(0, delta) : [],
    removed:
      delta < 0
        ? outcome.removed
            .filter((id) => before.has(id))
            .sort((a, b) => wasDown(a) - wasDown(b))
            .slice(0, -delta)
        : [],
  };
}
