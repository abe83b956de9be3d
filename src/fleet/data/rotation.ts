// What the balancer needs of the member list, and the worker's copy of it. The control
// plane owns membership and health (control/members.ts); a worker process receives the
// rotation as versioned snapshots and keeps only what the request path needs: the members
// to pick from, round robin, and its own requests in flight on each. A member that a
// worker cannot reach leaves that worker's rotation at once, before the control plane's
// next snapshot says what it decided.

export interface MemberAddress {
  id: string;
  name: string;
  ip: string;
  port: number;
}

/** The balancer's view of the members. */
export interface Rotation {
  /** Members requests may go to, in round-robin order. */
  readonly rotation: readonly MemberAddress[];
  /** The next member in round-robin order, skipping `exclude`; undefined when none is left. */
  next(exclude?: ReadonlySet<string>): MemberAddress | undefined;
  acquire(id: string): void;
  release(id: string): void;
  /** A request to the member timed out: as a failed active check. */
  report(id: string, ok: boolean): void;
  /** The member could not be reached at all: out at once. */
  reportUnreachable(id: string): void;
}

/** What the control plane sends a worker. */
export interface RotationSnapshot {
  /** Grows with every snapshot; a worker never applies an older one. */
  version: number;
  /** Members in rotation, in order. */
  members: MemberAddress[];
  /** Every member still present (draining ones too): a worker drops its pool to any other. */
  known: string[];
  /** Members present and down: a worker gives up what it sent them and they have not answered. */
  down: string[];
}

export interface SnapshotEvents {
  /** A passive failure seen by this worker, for the control plane's health state. */
  failure(id: string, unreachable: boolean): void;
  /** The last request in flight on a member that left the rotation ended (a drain may be done). */
  drained(id: string): void;
}

export class SnapshotRotation implements Rotation {
  private snapshot: RotationSnapshot = { version: 0, members: [], known: [], down: [] };
  private list: readonly MemberAddress[] = [];
  private readonly ejected = new Set<string>();
  private readonly counts = new Map<string, number>();
  private cursor = 0;

  constructor(private readonly events: SnapshotEvents) {}

  get version(): number {
    return this.snapshot.version;
  }

  get rotation(): readonly MemberAddress[] {
    return this.list;
  }

  /** Applies a snapshot; returns the ids of members that are gone, or undefined for an old one. */
  apply(snapshot: RotationSnapshot): string[] | undefined {
    if (snapshot.version <= this.snapshot.version) return undefined;
    const known = new Set(snapshot.known);
    const gone = this.snapshot.known.filter((id) => !known.has(id));
    this.snapshot = snapshot;
    // The control plane has now decided about every member: local ejections end.
    this.ejected.clear();
    this.list = snapshot.members;
    return gone;
  }

  next(exclude?: ReadonlySet<string>): MemberAddress | undefined {
    const picked = roundRobin(this.list, this.cursor, exclude);
    if (picked) this.cursor = picked.cursor;
    return picked?.member;
  }

  acquire(id: string): void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }

  release(id: string): void {
    const count = this.counts.get(id);
    if (count === undefined) return;
    if (count > 1) {
      this.counts.set(id, count - 1);
      return;
    }
    this.counts.delete(id);
    if (!this.list.some((m) => m.id === id)) this.events.drained(id);
  }

  report(id: string, ok: boolean): void {
    if (!ok) this.events.failure(id, false);
  }

  reportUnreachable(id: string): void {
    if (!this.ejected.has(id)) {
      this.ejected.add(id);
      this.list = this.list.filter((m) => m.id !== id);
    }
    this.events.failure(id, true);
  }

  /** Requests in flight on each member (only members with some). */
  inflight(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Requests in flight, all members together. */
  get active(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }
}

/** Round robin: the first member from `cursor` on that is not excluded, and the cursor after it. */
export function roundRobin<T extends { id: string }>(list: readonly T[], cursor: number, exclude?: ReadonlySet<string>): { member: T; cursor: number } | undefined {
  for (let i = 0; i < list.length; i++) {
    const member = list[(cursor + i) % list.length];
    if (exclude?.has(member.id)) continue;
    return { member, cursor: (cursor + i + 1) % list.length };
  }
  return undefined;
}
