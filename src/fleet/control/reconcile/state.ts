// What the controller knows between passes, as one value: the pass's plan reads it and
// returns it updated (plan.ts, `planPass`), and each thing learned between passes (a death,
// a start, an engine answer) is a pure function of it here. The controller holds the value
// and replaces it; nothing else changes it.
import { type ReplacementConfig, type ReplacementState, type SystemicReason, engineAnswered, initialState } from './replacement.js';

/** A failure seen since the last pass, for it to decide on. */
export interface Failure {
  /** Undefined for a start that failed: no container to name. */
  id: string | undefined;
  reason: 'died' | 'unhealthy' | 'start';
  /** How many failures in a row the slot had before this one. */
  attempts: number;
  /** The member's name and address when it failed, for the log (it may be gone by the pass). */
  name?: string;
  ip?: string;
}

export interface Suspension {
  reason: SystemicReason;
  /** ms since the epoch. */
  since: number;
}

export interface ReconcileState {
  /** Containers a pass decided to remove; the removal itself may still be in flight. */
  decidedForRemoval: ReadonlySet<string>;
  /** Containers Docker said died: its list shows them running for a while after the event. */
  died: ReadonlySet<string>;
  /** When each stopped member was first known to be stopped (ms). */
  exited: ReadonlyMap<string, number>;
  /** Failures seen since the last pass that listed. */
  failures: readonly Failure[];
  /** Members whose failure was counted already (a death has several events, a failing member many passes). */
  counted: ReadonlySet<string>;
  /** Members started as a replacement, with their slot's failures in a row; forgotten once one serves. */
  lineage: ReadonlyMap<string, number>;
  /** The replacement policy's own state (replacement.ts). */
  policy: ReplacementState;
  /** Set while replacing is suspended: failures are systemic. */
  suspension: Suspension | undefined;
  /** Replacements owed and not started yet (backoff, rate or suspension). */
  held: number;
}

export function initialReconcileState(config: ReplacementConfig, now: number): ReconcileState {
  return {
    decidedForRemoval: new Set(),
    died: new Set(),
    exited: new Map(),
    failures: [],
    counted: new Set(),
    lineage: new Map(),
    policy: initialState(config, now),
    suspension: undefined,
    held: 0,
  };
}

/** What the member set knew of a member when its death was announced. */
export interface DyingMember {
  name: string;
  ip: string;
  draining: boolean;
}

/**
 * A die event: the container no longer serves, whatever the next list says. A death fleet
 * did not ask for (not one it decided to remove or is draining, not a second event of the
 * same one) is a failure for the next pass that lists to decide on.
 */
export function noteDeath(state: ReconcileState, id: string, now: number, member: DyingMember | undefined): ReconcileState {
  const unasked = member !== undefined && !member.draining && !state.decidedForRemoval.has(id) && !state.died.has(id);
  return {
    ...state,
    failures: unasked ? [...state.failures, { id, reason: 'died', attempts: state.lineage.get(id) ?? 0, name: member.name, ip: member.ip }] : state.failures,
    died: with_(state.died, id),
    exited: new Map(state.exited).set(id, now),
  };
}

/** A start event: a container that died may run again. */
export function noteStart(state: ReconcileState, id: string): ReconcileState {
  if (!state.died.has(id) && !state.exited.has(id)) return state;
  const exited = new Map(state.exited);
  exited.delete(id);
  return { ...state, died: without(state.died, id), exited };
}

/** A member started; `attempts` is how many failures in a row its slot had (0: a fresh start). */
export function memberStarted(state: ReconcileState, id: string, attempts: number): ReconcileState {
  return attempts > 0 ? { ...state, lineage: new Map(state.lineage).set(id, attempts) } : state;
}

/** A start failed: an engine error, and a failure of its slot. */
export function startFailed(state: ReconcileState, now: number, attempts: number, config: ReplacementConfig): ReconcileState {
  return { ...state, policy: engineAnswered(state.policy, now, false, config), failures: [...state.failures, { id: undefined, reason: 'start', attempts }] };
}

/** The engine answered a list (ok, in `ms`) or failed to: how fast it answers is part of what a pass observes. */
export function listAnswered(state: ReconcileState, now: number, ok: boolean, ms: number, config: ReplacementConfig): ReconcileState {
  return { ...state, policy: engineAnswered(state.policy, now, ok, config, ms) };
}

/** A member serves: a replacement that serves ends its slot's run of failures. */
export function memberServes(state: ReconcileState, id: string): ReconcileState {
  if (!state.lineage.has(id)) return state;
  const lineage = new Map(state.lineage);
  lineage.delete(id);
  return { ...state, lineage };
}

function with_(set: ReadonlySet<string>, id: string): ReadonlySet<string> {
  return set.has(id) ? set : new Set(set).add(id);
}

function without(set: ReadonlySet<string>, id: string): ReadonlySet<string> {
  if (!set.has(id)) return set;
  const next = new Set(set);
  next.delete(id);
  return next;
}
