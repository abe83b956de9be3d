// `fleet add` and `fleet remove`: a new desired count, waited for until the change settled
// and its members serve. The delta was checked where it came in (the CLI's --count, the
// control socket's protocol); what is checked here is what only the running fleet knows.
import type { Logger } from '../../log.js';
import { MAX_REPLICAS, SETTLE_TIMEOUT_MS } from '../config.js';
import type { FleetStatus, ScaleResult } from '../control/types.js';
import { FleetError } from '../errors.js';
import type { Change, ChangeRecorder } from './changes.js';

export interface ScaleSources {
  fleet: string;
  controller: { readonly desired: number; scaleTo(count: number): void; settle(timeoutMs: number): Promise<unknown> };
  /** What the controller started and removed, as it did it. */
  changes: ChangeRecorder;
  status(): FleetStatus;
  untilServing(): Promise<void>;
  log: Logger;
}

/**
 * Scales by `delta` (a non-zero whole number) and reports the members this change started
 * and removed. Those come from the controller's own starts and removals between `scaleTo`
 * and the settle (ChangeRecorder), never from comparing the member lists before and after:
 * a member that died meanwhile and its replacement are not reported as removed and added.
 * A removed member is described as it was before the change, an added one as it is once the
 * change settled (one that is gone again by then is not reported).
 *
 * Scoped to this change: only starts begun after `scaleTo`, at most `delta` of them (or
 * `-delta` removals), and no removal of a member the controller is replacing. The controller
 * does not yet say which of its starts is a replacement's, so the recorder takes the start
 * that follows a decided replacement for it (the controller starts owed replacements first
 * in a pass); once the controller's settle reports the ids it started and removed for a
 * change, they replace the recorder here.
 */
export async function scale(s: ScaleSources, delta: number): Promise<ScaleResult> {
  const from = s.controller.desired;
  const target = from + delta;
  if (target < 1) throw new FleetError('FLEET_SCALE_REJECTED', `cannot remove ${-delta}: fleet "${s.fleet}" has ${from} members and keeps at least 1`);
  if (target > MAX_REPLICAS) throw new FleetError('FLEET_SCALE_REJECTED', `cannot add ${delta}: fleet "${s.fleet}" has ${from} members and allows at most ${MAX_REPLICAS}`);
  const before = new Map(s.status().members.map((m) => [m.id, m]));
  const recording = s.changes.record();
  let change: Change;
  try {
    s.log.info('fleet.scale', { from, to: target });
    s.controller.scaleTo(target);
    await s.controller.settle(SETTLE_TIMEOUT_MS);
    await s.untilServing();
  } finally {
    change = recording.stop(delta);
  }
  const status = s.status();
  const now = new Map(status.members.map((m) => [m.id, m]));
  return {
    added: change.started.flatMap((id) => now.get(id) ?? []),
    removed: change.removed.flatMap((id) => before.get(id) ?? []),
    status,
  };
}
