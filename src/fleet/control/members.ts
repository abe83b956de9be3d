// The fleet's members as the control plane knows them: address, health, readiness and
// drain, with idempotent edits and one atomic swap of the rotation, as undici's
// BalancedPool and Traefik's HandlerSwitcher do. A request that already picked a member
// keeps it; edits only change what the next pick sees. The balancer may run in this
// process (it then uses this set as its Rotation) or in worker processes, which get the
// rotation as snapshots and report their requests in flight back (`setRemote`).
import { type MemberAddress, type Rotation, type RotationSnapshot, roundRobin } from '../data/rotation.js';
import { type Health, type HealthConfig, UNKNOWN, countsDownSince, nextHealth, passiveFailure } from './health.js';

export type { MemberAddress };

/** pending: not yet checked or not yet holding the list; draining: fenced for removal. */
export type MemberState = 'pending' | 'up' | 'down' | 'draining';

export interface Member extends MemberAddress {
  readonly state: MemberState;
  readonly health: Health;
  /** Requests in flight on it, in this process and every worker's. */
  readonly inflight: number;
  /** Set when the member holds the current list and may enter rotation once healthy. */
  readonly ready: boolean;
  /** When its health last turned down (ms since the epoch); undefined while not down. */
  readonly downSince: number | undefined;
}

interface Entry extends MemberAddress {
  health: Health;
  inflight: number;
  ready: boolean;
  draining: boolean;
  downSince: number | undefined;
  /** When it joined the set, and whether it ever passed a check: its start period. */
  joinedAt: number;
  everUp: boolean;
  idleWaiters: (() => void)[];
}

/** What changed a member's health: a health check, a failure a worker saw, or its death. */
export type HealthCause = 'active' | 'passive' | 'died';

export interface Transition {
  id: string;
  from: MemberState;
  to: MemberState;
  /** Set when a health report made the change. */
  cause?: HealthCause;
}

function stateOf(entry: Entry): MemberState {
  if (entry.draining) return 'draining';
  if (entry.health.up === true) return entry.ready ? 'up' : 'pending';
  if (entry.health.up === false) return 'down';
  return 'pending';
}

/** One worker's requests in flight, per member; stale until it confirms the latest snapshot. */
interface Remote {
  counts: Record<string, number>;
  stale: boolean;
}

export class MemberSet implements Rotation {
  private readonly entries = new Map<string, Entry>();
  private rotationList: readonly Member[] = [];
  private cursor = 0;
  private version = 0;
  private knownCount = 0;
  private readonly remotes = new Map<string, Remote>();
  private readonly changeListeners: (() => void)[] = [];
  private readonly config: HealthConfig;
  private readonly onTransition: (t: Transition) => void;
  private readonly now: () => number;

  constructor(config: HealthConfig, onTransition: (t: Transition) => void = () => {}, now: () => number = Date.now) {
    this.config = config;
    this.onTransition = onTransition;
    this.now = now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Members in rotation: a fresh array after every change, never mutated in place. */
  get rotation(): readonly Member[] {
    return this.rotationList;
  }

  get(id: string): Member | undefined {
    const entry = this.entries.get(id);
    return entry && this.view(entry);
  }

  list(): Member[] {
    return [...this.entries.values()].map((entry) => this.view(entry));
  }

  /** Adds a member, or updates its address; a known member keeps its health. */
  upsert(address: MemberAddress): void {
    const entry = this.entries.get(address.id);
    if (entry) {
      if (entry.ip === address.ip && entry.port === address.port && entry.name === address.name) return;
      this.edit(entry, () => Object.assign(entry, address));
      return;
    }
    this.entries.set(address.id, { ...address, health: UNKNOWN, inflight: 0, ready: false, draining: false, downSince: undefined, joinedAt: this.now(), everUp: false, idleWaiters: [] });
    this.swap();
  }

  remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    for (const wake of entry.idleWaiters.splice(0)) wake();
    this.swap();
  }

  /** Marks that the member holds the current list: it may now enter rotation. */
  setReady(id: string, ready: boolean): void {
    const entry = this.entries.get(id);
    if (!entry || entry.ready === ready) return;
    this.edit(entry, () => (entry.ready = ready));
  }

  /** Takes a member out of rotation for good; requests in flight keep it. */
  fence(id: string): void {
    const entry = this.entries.get(id);
    if (!entry || entry.draining) return;
    this.edit(entry, () => (entry.draining = true));
  }

  /** Applies an active check's result (or a timeout a worker saw, as one). */
  report(id: string, ok: boolean, cause: HealthCause = 'active'): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.edit(entry, () => (entry.health = nextHealth(entry.health, ok, this.config)), cause);
  }

  /** A connection to the member was refused or could not be made, or it died. */
  reportUnreachable(id: string, cause: HealthCause = 'passive'): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.edit(entry, () => (entry.health = passiveFailure(this.config)), cause);
  }

  /**
   * Members whose health has been down for at least `ms`: candidates for replacement. A member
   * that never passed a check is not counted down during its first `startPeriodMs`.
   */
  downFor(ms: number, startPeriodMs = 0): string[] {
    const before = this.now() - ms;
    return [...this.entries.values()]
      .filter((e) => !e.draining && e.downSince !== undefined && countsDownSince(e.downSince, e.joinedAt, e.everUp, startPeriodMs) <= before)
      .map((e) => e.id);
  }

  /** The next member in round-robin order, skipping `exclude`; undefined when none is left. */
  next(exclude?: ReadonlySet<string>): Member | undefined {
    const picked = roundRobin(this.rotationList, this.cursor, exclude);
    if (picked) this.cursor = picked.cursor;
    return picked?.member;
  }

  acquire(id: string): void {
    const entry = this.entries.get(id);
    if (entry) entry.inflight++;
  }

  release(id: string): void {
    const entry = this.entries.get(id);
    if (!entry || entry.inflight === 0) return;
    entry.inflight--;
    if (!this.busy(entry)) for (const wake of entry.idleWaiters.splice(0)) wake();
  }

  private total(entry: Entry): number {
    let total = entry.inflight;
    for (const remote of this.remotes.values()) total += remote.counts[entry.id] ?? 0;
    return total;
  }

  private busy(entry: Entry): boolean {
    if (entry.inflight > 0) return true;
    for (const remote of this.remotes.values()) if (remote.stale || (remote.counts[entry.id] ?? 0) > 0) return true;
    return false;
  }

  private wakeIdle(): void {
    for (const entry of this.entries.values()) {
      if (entry.idleWaiters.length && !this.busy(entry)) for (const wake of entry.idleWaiters.splice(0)) wake();
    }
  }

  /** Called after every change of the rotation or of the members present; returns its removal. */
  onChange(listener: () => void): () => void {
    this.changeListeners.push(listener);
    return () => {
      const at = this.changeListeners.indexOf(listener);
      if (at >= 0) this.changeListeners.splice(at, 1);
    };
  }

  /**
   * Resolves true once `count` members are in rotation, or false when none joined it for
   * `stallMs`: a fleet that is still coming up is waited for, one that stopped is not.
   */
  rotationReaches(count: number, stallMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      let seen = this.rotation.length;
      let timer: NodeJS.Timeout;
      const finish = (reached: boolean): void => {
        clearTimeout(timer);
        off();
        resolve(reached);
      };
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => finish(false), stallMs);
      };
      const off = this.onChange(() => {
        const now = this.rotation.length;
        if (now >= count) finish(true);
        else if (now > seen) arm();
        seen = Math.max(seen, now);
      });
      if (seen >= count) finish(true);
      else arm();
    });
  }

  /** The rotation as a worker receives it: a new version after every change. */
  snapshot(): RotationSnapshot {
    return {
      version: this.version,
      members: this.rotationList.map(({ id, name, ip, port }) => ({ id, name, ip, port })),
      known: [...this.entries.keys()],
      down: [...this.entries.values()].filter((entry) => stateOf(entry) === 'down').map((entry) => entry.id),
    };
  }

  /** A worker's requests in flight, as of a snapshot it has applied. */
  setRemote(source: string, counts: Record<string, number>): void {
    this.remotes.set(source, { counts, stale: false });
    this.wakeIdle();
  }

  /** A worker has not confirmed the latest snapshot yet: it may still pick any member. */
  markStale(source: string): void {
    const remote = this.remotes.get(source);
    if (remote) remote.stale = true;
    else this.remotes.set(source, { counts: {}, stale: true });
  }

  /** A worker is gone: its requests in flight went with it. */
  removeRemote(source: string): void {
    if (this.remotes.delete(source)) this.wakeIdle();
  }

  /** Resolves true when the member has no request in flight, false when `timeoutMs` passed first. */
  idle(id: string, timeoutMs: number): Promise<boolean> {
    const entry = this.entries.get(id);
    if (!entry || !this.busy(entry)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        entry.idleWaiters = entry.idleWaiters.filter((wake) => wake !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      entry.idleWaiters.push(done);
    });
  }

  private edit(entry: Entry, change: () => void, cause?: HealthCause): void {
    const from = stateOf(entry);
    const wasDown = entry.health.up === false;
    change();
    const isDown = entry.health.up === false;
    if (isDown && !wasDown) entry.downSince = this.now();
    else if (!isDown) entry.downSince = undefined;
    if (entry.health.up === true) entry.everUp = true;
    const to = stateOf(entry);
    if (from !== to) this.onTransition(cause ? { id: entry.id, from, to, cause } : { id: entry.id, from, to });
    this.swap();
  }

  private swap(): void {
    const next: Member[] = [];
    for (const entry of this.entries.values()) if (stateOf(entry) === 'up') next.push(this.view(entry));
    const before = this.rotationList;
    this.rotationList = next;
    // Workers hear of changes only: a passing health check swaps nothing they need.
    const same =
      before.length === next.length && before.every((m, i) => m.id === next[i].id && m.ip === next[i].ip && m.port === next[i].port) && this.knownCount === this.entries.size;
    this.knownCount = this.entries.size;
    if (same) return;
    this.version++;
    for (const listener of this.changeListeners) listener();
  }

  private view(entry: Entry): Member {
    const { id, name, ip, port, health, ready, downSince } = entry;
    return { id, name, ip, port, health, inflight: this.total(entry), ready, downSince, state: stateOf(entry) };
  }
}
