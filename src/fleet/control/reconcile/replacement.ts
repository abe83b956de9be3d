// When a failed member is replaced, decided from what failed and when, never from the wall
// clock: pure, so tests drive it with tables (test/fleet/control/reconcile/replacement.test.ts).
// Kubernetes' CrashLoopBackOff and Swarm's restart policy, for a fleet of interchangeable members:
// - each replacement owed waits its slot's backoff (a slot that keeps failing waits longer);
// - replacements across the fleet take a token from one bucket (a burst, then a steady rate);
// - many failures together, or an engine that errs or answers slowly, is systemic: nothing is
//   replaced until it passes, and the healthy members keep serving.
// Fresh starts (`up`, `add`) are not replacements: only their failures come through here.

export interface ReplacementConfig {
  /** The first retry of a slot waits this long; each further failure doubles it, up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Replacements that may start at once after a quiet time. */
  burst: number;
  /** One more replacement may start every this many ms. */
  refillMs: number;
  /** Failures and engine errors are counted over this window. */
  windowMs: number;
  /** Failures in the window that make a failure systemic: the larger of this and `systemicShare` of the desired size. */
  systemicMin: number;
  systemicShare: number;
  /** Engine errors in the window that make the engine unhealthy. */
  engineErrors: number;
  /** An unhealthy engine that has answered well for this long since its last error has recovered. */
  engineCalmMs: number;
  /** An engine whose last list took longer than this is overloaded. */
  engineSlowMs: number;
}

/** A replacement owed: how many times its slot failed in a row, and when it may start. */
export interface Owed {
  attempt: number;
  notBefore: number;
}

export interface ReplacementState {
  owed: readonly Owed[];
  tokens: number;
  /** When `tokens` was last refilled. */
  refilledAt: number;
  /** When members failed (died, stayed unhealthy, would not start), within the window. */
  failures: readonly number[];
  /** When engine calls failed, within the window. */
  engineErrors: readonly number[];
  /** Since when the engine has answered well without an error; undefined after an error. */
  engineOkSince: number | undefined;
  /** How long the engine's last list took. */
  lastListMs: number;
}

export function initialState(config: ReplacementConfig, now: number): ReplacementState {
  return { owed: [], tokens: config.burst, refilledAt: now, failures: [], engineErrors: [], engineOkSince: now, lastListMs: 0 };
}

/** The one backoff of the control plane: 0 before any failure, then base, 2·base, 4·base… up to max. */
export function backoff(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
}

/**
 * A member failed; `attempt` is how many failures in a row its slot had before this one. While
 * the engine errs, the failure is the engine's: its slot is owed a replacement and backs off
 * as always, but it is not counted among members' failures, so replacing resumes once the
 * engine is calm instead of a whole window later.
 */
export function failed(state: ReplacementState, now: number, previousAttempts: number, config: ReplacementConfig): ReplacementState {
  const attempt = previousAttempts + 1;
  return {
    ...state,
    // A slot's first failure is replaced at once (within the rate): only a slot that keeps failing waits.
    owed: [...state.owed, { attempt, notBefore: now + backoff(attempt - 1, config.backoffBaseMs, config.backoffMaxMs) }],
    failures: engineErring(state, now, config) ? recent(state.failures, now, config) : [...recent(state.failures, now, config), now],
  };
}

/**
 * An engine call answered (ok, in `ms`) or failed. Only lists report their time. An engine that
 * starts to err (dockerd stopping) kills what it was starting a moment before it refuses calls:
 * the failures of the last `engineCalmMs` are its too, and leave the members' count.
 */
export function engineAnswered(state: ReplacementState, now: number, ok: boolean, config: ReplacementConfig, listMs?: number): ReplacementState {
  const engineErrors = ok ? recent(state.engineErrors, now, config) : [...recent(state.engineErrors, now, config), now];
  const failures = !ok && engineErrors.length >= config.engineErrors ? state.failures.filter((t) => now - t > config.engineCalmMs) : state.failures;
  return {
    ...state,
    failures,
    engineErrors,
    engineOkSince: ok ? (state.engineOkSince ?? now) : undefined,
    lastListMs: listMs ?? state.lastListMs,
  };
}

/** The engine errs now: enough recent errors, and no calm period since. */
function engineErring(state: ReplacementState, now: number, config: ReplacementConfig): boolean {
  const calm = state.engineOkSince !== undefined && now - state.engineOkSince >= config.engineCalmMs;
  return !calm && recent(state.engineErrors, now, config).length >= config.engineErrors;
}

function recent(times: readonly number[], now: number, config: ReplacementConfig): number[] {
  return times.filter((t) => now - t < config.windowMs);
}

export type SystemicReason = 'failures' | 'engine-errors' | 'engine-slow';

/** Why replacing is suspended now, or undefined when it is not. */
export function systemic(state: ReplacementState, now: number, desired: number, config: ReplacementConfig): SystemicReason | undefined {
  if (recent(state.failures, now, config).length >= Math.max(config.systemicMin, Math.ceil(config.systemicShare * desired))) return 'failures';
  if (engineErring(state, now, config)) return 'engine-errors';
  if (state.lastListMs > config.engineSlowMs) return 'engine-slow';
  return undefined;
}

export interface Decision {
  state: ReplacementState;
  /** The attempt number of each replacement to start now. */
  start: number[];
  /** Fresh starts (not replacements): as many as the gap beyond what is owed; none while the engine errs. */
  fresh: number;
  /** Replacements held back now (backoff, rate or systemic). */
  held: number;
  /** Set while replacing is suspended. */
  suspended: SystemicReason | undefined;
  /** When a held replacement may go next (for a timer); undefined when none waits on time. */
  wakeAt: number | undefined;
}

/**
 * Of `gap` members missing (desired minus serving minus starting), which start now. Replacements
 * owed are part of the gap; what is owed beyond the gap is no longer needed (a member came back)
 * and is dropped, the slots that failed most often first, so the ones kept are the gentlest.
 * At most `room` start (the starts in flight are bounded): replacements first, then fresh ones.
 */
export function decide(state: ReplacementState, now: number, gap: number, desired: number, config: ReplacementConfig, room = Infinity): Decision {
  const owed = [...state.owed].sort((a, b) => a.attempt - b.attempt || a.notBefore - b.notBefore).slice(0, Math.max(0, gap));
  const refills = Math.floor((now - state.refilledAt) / config.refillMs);
  let tokens = Math.min(config.burst, state.tokens + refills);
  const refilledAt = tokens >= config.burst ? now : state.refilledAt + refills * config.refillMs;
  const suspended = systemic(state, now, desired, config);
  const start: number[] = [];
  const waiting: Owed[] = [];
  for (const o of owed) {
    if (!suspended && o.notBefore <= now && tokens > 0 && start.length < room) {
      tokens--;
      start.push(o.attempt);
    } else waiting.push(o);
  }
  let wakeAt: number | undefined;
  if (!suspended && waiting.length) {
    const due = Math.min(...waiting.map((o) => o.notBefore));
    wakeAt = tokens > 0 ? due : Math.max(due, refilledAt + config.refillMs);
  }
  const next = { ...state, owed: waiting, tokens, refilledAt, failures: recent(state.failures, now, config), engineErrors: recent(state.engineErrors, now, config) };
  // An engine that errs (dockerd stopping, its socket gone) may still run what it is asked
  // over a connection it keeps, and drop it as it goes: fresh starts wait with the
  // replacements until it is calm. One that is only slow, or members that fail, do not hold
  // them back (`up` on a slow engine, `fleet add` while members crash).
  const fresh = suspended === 'engine-errors' ? 0 : Math.max(0, Math.min(gap - owed.length, room - start.length));
  return { state: next, start, fresh, held: waiting.length, suspended, wakeAt };
}
