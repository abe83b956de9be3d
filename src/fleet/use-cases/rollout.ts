// `fleet rollout --image`: the members move to a new image one at a time, start first, and
// back to the old one when a new member fails. The controller does the moving: the image is
// part of its desired state, and its passes start a member on the desired image beside the
// old ones, wait for it to serve, then drain an old one (plan.ts). This use case only sets
// the image, watches, and judges (rollout-verdict.ts): done, wait, or roll back, which is
// setting the old image again and letting the same passes bring the old members back.
import type { Logger } from '../../log.js';
import { SETTLE_TIMEOUT_MS } from '../config.js';
import type { Member } from '../control/members.js';
import type { FleetStatus, RolloutResult } from '../control/types.js';
import { FleetError } from '../errors.js';
import { type NewMember, rolloutVerdict } from './rollout-verdict.js';

export interface RolloutRequest {
  image: string;
  readyTimeoutMs: number;
}

export interface RolloutSources {
  fleet: string;
  controller: {
    readonly desired: number;
    readonly image: string;
    readonly lastError: Error | undefined;
    setImage(image: string, cause?: string): void;
    imageOf(id: string): string | undefined;
    settle(timeoutMs: number): Promise<{ started: string[]; removed: string[] }>;
  };
  members: { list(): Member[]; readonly rotation: readonly { id: string }[]; onChange(listener: () => void): () => void };
  /** Throws a FleetError when the engine has no such image, or one no member can run. */
  checkImage(image: string): Promise<void>;
  status(): FleetStatus;
  untilServing(): Promise<void>;
  log: Logger;
  /** The clock the ready timeout is read on (Date.now unless set). */
  now?: () => number;
}

/** How often the rollout looks again when nothing changed: the ready timeout's resolution. */
const TICK_MS = 250;

function health(m: Member): NewMember['health'] {
  return m.health.up === true ? 'up' : m.health.up === false ? 'down' : 'unknown';
}

/**
 * Rolls the fleet over to `image`. Resolves once every member runs it, serves and holds the
 * list; rejects with FLEET_ROLLOUT_FAILED, once the old members serve again, when a new
 * member failed its checks or a step made no progress for the ready timeout. The controller
 * keeps the image it ends on: later replacements start from it.
 */
export async function rollout(s: RolloutSources, request: RolloutRequest): Promise<RolloutResult> {
  const now = s.now ?? Date.now;
  const previous = s.controller.image;
  const { image } = request;
  await s.checkImage(image);
  const before = new Map(s.status().members.map((m) => [m.id, m]));
  s.log.info('rollout.begin', { fleet: s.fleet, from: previous, to: image, members: s.controller.desired });
  s.controller.setImage(image);
  // One settle from the image's change: it resolves when a pass finds nothing left (the last
  // old member gone, or after a rollback the last new one), with what the change started and
  // removed on the way.
  const settled = s.controller.settle(SETTLE_TIMEOUT_MS);
  settled.catch(() => undefined);
  const failure = await watch(s, image, request.readyTimeoutMs, now);
  if (failure) {
    s.log.warn('rollout.rollback', { fleet: s.fleet, from: image, to: previous, reason: failure });
    s.controller.setImage(previous, 'rollback');
    await settled;
    await s.untilServing();
    const back = s.members.list().filter((m) => s.controller.imageOf(m.id) === previous).length;
    s.log.info('rollout.rolled_back', { fleet: s.fleet, image: previous, members: back });
    throw new FleetError('FLEET_ROLLOUT_FAILED', `rollout of fleet "${s.fleet}" to ${image} rolled back: ${failure}; ${back} members run ${previous} again`);
  }
  const outcome = await settled;
  await s.untilServing();
  const status = s.status();
  const after = new Map(status.members.map((m) => [m.id, m]));
  s.log.info('rollout.done', { fleet: s.fleet, image, started: outcome.started.length, removed: outcome.removed.length });
  return {
    image,
    previous,
    started: outcome.started.flatMap((id) => after.get(id) ?? []),
    removed: outcome.removed.flatMap((id) => before.get(id) ?? []),
    status,
  };
}

/** Watches the controller roll the members over; resolves undefined when done, or why it must roll back. */
function watch(s: RolloutSources, image: string, readyTimeoutMs: number, now: () => number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let progressAt = now();
    let serving = -1;
    /** New members seen in rotation during this rollout. */
    const served = new Set<string>();
    const look = (): void => {
      const members = s.members.list();
      const rotation = new Set(s.members.rotation.map((m) => m.id));
      const fresh = members.filter((m) => m.state !== 'draining' && s.controller.imageOf(m.id) === image);
      for (const m of fresh) if (rotation.has(m.id)) served.add(m.id);
      const inRotation = fresh.filter((m) => rotation.has(m.id)).length;
      if (inRotation > serving) {
        if (serving >= 0) s.log.info('rollout.progress', { fleet: s.fleet, image, serving: inRotation, desired: s.controller.desired });
        serving = inRotation;
        progressAt = now();
      }
      const verdict = rolloutVerdict({
        now: now(),
        progressAt,
        readyTimeoutMs,
        desired: s.controller.desired,
        image,
        fresh: fresh.map((m) => ({ name: m.name, ip: m.ip, health: health(m), inRotation: rotation.has(m.id), served: served.has(m.id) })),
        outdated: members.filter((m) => m.state !== 'draining' && s.controller.imageOf(m.id) !== image).length,
        lastError: s.controller.lastError?.message,
      });
      if (verdict.kind === 'wait') return;
      off();
      clearInterval(timer);
      resolve(verdict.kind === 'rollback' ? verdict.reason : undefined);
    };
    const off = s.members.onChange(look);
    const timer = setInterval(look, TICK_MS);
    look();
  });
}
