// When a rollout is done, goes on waiting, or rolls back: one pure decision over what the
// fleet shows at a moment, so tests drive it with tables. The controller decides which member
// starts and which goes (plan.ts); this only judges whether the new image works.

/** A member on the image being rolled out, as the member set knows it. */
export interface NewMember {
  name: string;
  ip: string;
  /** Its health checks' verdict: `down` after `--fall` failures in a row (or its death), `unknown` until judged. */
  health: 'up' | 'down' | 'unknown';
  inRotation: boolean;
  /** It was in rotation at some point of this rollout. */
  served: boolean;
}

export interface RolloutView {
  /** ms since the epoch. */
  now: number;
  /** When the rollout last made progress: it began, or one more member on the new image entered rotation. */
  progressAt: number;
  /** How long a step may go without progress. */
  readyTimeoutMs: number;
  desired: number;
  image: string;
  /** The members on the new image. */
  fresh: readonly NewMember[];
  /** Members still on another image. */
  outdated: number;
  /** The controller's last error (a start the engine refused), for the message. */
  lastError?: string;
}

export type Verdict = { kind: 'wait' } | { kind: 'done' } | { kind: 'rollback'; reason: string };

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * Done once no member runs another image and the desired count of new ones serves. A new
 * member whose first checks fail (or that dies before it served) rolls back at once: it was
 * never in rotation, so no request reached it. One that served and then went down (a passive
 * failure on a loaded host, a check that timed out) may come back: it is waited for like a
 * step. A step that brings no new member into rotation within the ready timeout rolls back
 * (a container that keeps dying, a start the engine refuses, a member never judged, one that
 * left rotation and stayed out), naming the member, or why none started.
 */
export function rolloutVerdict(v: RolloutView): Verdict {
  const failed = v.fresh.find((m) => m.health === 'down' && !m.served);
  if (failed) return { kind: 'rollback', reason: `member ${failed.name} (${failed.ip}) on ${v.image} failed its health checks` };
  const serving = v.fresh.filter((m) => m.inRotation).length;
  if (v.outdated === 0 && serving >= v.desired) return { kind: 'done' };
  if (v.now - v.progressAt < v.readyTimeoutMs) return { kind: 'wait' };
  const waiting = v.fresh.find((m) => !m.inRotation);
  const within = `within the ready timeout (${seconds(v.readyTimeoutMs)})`;
  if (waiting?.served) return { kind: 'rollback', reason: `member ${waiting.name} (${waiting.ip}) on ${v.image} left rotation and did not return ${within}` };
  if (waiting) return { kind: 'rollback', reason: `member ${waiting.name} (${waiting.ip}) on ${v.image} did not enter rotation ${within}` };
  return { kind: 'rollback', reason: `no member on ${v.image} came up ${within}${v.lastError ? `: ${v.lastError}` : ''}` };
}
