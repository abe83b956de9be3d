// Members that cannot take the fleet's list. A member serves its list to every client, so one
// whose list pushes keep failing is as broken as one that fails its checks, even while nginx
// answers: an engine restarted under a container being started can leave it running with every
// `docker exec` refused ("fork/exec /proc/self/exe: no such file or directory"). Such a member
// is replaced like an unhealthy one, after the same `--replace-after`.
//
// A member merely waiting for its session (a slow engine) has no failure and is never stale:
// a push that timed out, or an engine that could not be reached, says nothing about the member
// (answered() tells them apart). Nor does failing while the engine itself fails: every clock
// starts again then, and each member takes its list within a second of the engine's return.
// Pure bookkeeping on a clock the caller passes, so tests drive it with tables.

/** Why a push failed, as the channel says it, names the engine's silence rather than the member's answer. */
const SILENCE = /within \d+ ms|timed? ?out|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENOENT|EPIPE|socket hang up|FLEET_ENGINE_UNREACHABLE|the engine did not|deadline exceeded/i;

/** The push failed on an answer (the member's reader or the engine refused it), not on silence. */
export function answered(reason: string): boolean {
  return !SILENCE.test(reason);
}

export class StaleLists {
  /** Since when each member's pushes have failed without one succeeding. */
  private readonly failingSince = new Map<string, number>();

  /** A push to the member failed for `reason`; only an answered failure counts. */
  failed(id: string, now: number, reason: string): void {
    if (answered(reason) && !this.failingSince.has(id)) this.failingSince.set(id, now);
  }

  /** The member holds a list: its failures are over. */
  held(id: string): void {
    this.failingSince.delete(id);
  }

  /** Forgets the members the engine no longer lists. */
  keepOnly(ids: ReadonlySet<string>): void {
    for (const id of this.failingSince.keys()) if (!ids.has(id)) this.failingSince.delete(id);
  }

  /** The engine did not answer: failing meanwhile is its fault, so every clock starts again. */
  engineFailed(): void {
    this.failingSince.clear();
  }

  /** The members whose pushes have failed for `afterMs` or more. */
  stale(now: number, afterMs: number): string[] {
    return [...this.failingSince].filter(([, since]) => now - since >= afterMs).map(([id]) => id);
  }
}
