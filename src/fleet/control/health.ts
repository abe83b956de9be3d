// The health state machine, HAProxy's: a member goes down after `fall` failed checks
// in a row and comes back after `rise` good ones. Pure, so tests drive it with tables.

export interface HealthConfig {
  rise: number;
  fall: number;
}

export interface Health {
  /**
   * undefined until the member is judged: a new member enters on its first good check, and is
   * down only after `fall` failed ones in a row (nginx may take a moment to listen after its
   * container starts: one early refusal is not a verdict).
   */
  up: boolean | undefined;
  successes: number;
  failures: number;
}

export const UNKNOWN: Health = { up: undefined, successes: 0, failures: 0 };

export function nextHealth(health: Health, ok: boolean, config: HealthConfig): Health {
  if (health.up === undefined) {
    if (ok) return { up: true, successes: 1, failures: 0 };
    const failures = health.failures + 1;
    return { up: failures >= config.fall ? false : undefined, successes: 0, failures };
  }
  if (ok) {
    const successes = health.successes + 1;
    return { up: health.up || successes >= config.rise, successes, failures: 0 };
  }
  const failures = health.failures + 1;
  return { up: health.up && failures < config.fall, successes: 0, failures };
}

/** A refused or unreachable connection: down at once, and `rise` good checks to return. */
export function passiveFailure(config: HealthConfig): Health {
  return { up: false, successes: 0, failures: config.fall };
}

/**
 * Since when a member's failures count toward its replacement: from when it went down, but
 * never inside its start period unless it already passed a check (Docker's HEALTHCHECK
 * --start-period). A member slow to start is not replaced for it.
 */
export function countsDownSince(downSince: number, joinedAt: number, everUp: boolean, startPeriodMs: number): number {
  return everUp ? downSince : Math.max(downSince, joinedAt + startPeriodMs);
}
