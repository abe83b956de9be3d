// How many requests one member gets at once, and a bounded, timed queue for the rest
// (HAProxy's server maxconn with `timeout queue`). A full member is skipped; a request that
// waits too long leaves the queue and is sent elsewhere, never left hanging.

export interface GateLimits {
  /** Requests a member handles at once. */
  active: number;
  /** Requests that may wait for a member at once. */
  waiting: number;
  /** Time a request may wait. */
  timeoutMs: number;
}

interface Waiter<T> {
  item: T;
  resume: (item: T) => void;
  timer: NodeJS.Timeout;
}

interface Lane<T> {
  active: number;
  waiting: Waiter<T>[];
}

export type Entry = 'go' | 'queued' | 'full';

export class Gate<T> {
  private readonly lanes = new Map<string, Lane<T>>();

  constructor(private readonly limits: GateLimits) {}

  /** True when a request for `id` would be refused: every slot taken and the queue at its bound. */
  full(id: string): boolean {
    const lane = this.lanes.get(id);
    return lane !== undefined && lane.active >= this.limits.active && lane.waiting.length >= this.limits.waiting;
  }

  /**
   * 'go': the item holds a slot now. 'queued': `resume` runs once a slot frees, or `expire`
   * after the timeout, whichever comes first. 'full': neither, the caller goes elsewhere.
   */
  enter(id: string, item: T, resume: (item: T) => void, expire: (item: T) => void): Entry {
    let lane = this.lanes.get(id);
    if (!lane) {
      lane = { active: 0, waiting: [] };
      this.lanes.set(id, lane);
    }
    if (lane.active < this.limits.active) {
      lane.active++;
      return 'go';
    }
    if (lane.waiting.length >= this.limits.waiting) return 'full';
    const waiting = lane.waiting;
    const waiter: Waiter<T> = {
      item,
      resume,
      timer: setTimeout(() => {
        const index = waiting.indexOf(waiter);
        if (index >= 0) waiting.splice(index, 1);
        expire(item);
      }, this.limits.timeoutMs),
    };
    waiting.push(waiter);
    return 'queued';
  }

  /** A slot of `id` frees: the oldest waiter takes it. */
  leave(id: string): void {
    const lane = this.lanes.get(id);
    if (!lane) return;
    const next = lane.waiting.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resume(next.item);
      return;
    }
    lane.active = Math.max(0, lane.active - 1);
    if (lane.active === 0) this.lanes.delete(id);
  }

  /** The member is gone: its waiters, to be sent elsewhere. */
  drop(id: string): T[] {
    const lane = this.lanes.get(id);
    if (!lane) return [];
    this.lanes.delete(id);
    return lane.waiting.map((waiter) => {
      clearTimeout(waiter.timer);
      return waiter.item;
    });
  }

  /** Requests waiting for `id`. */
  waiting(id: string): number {
    return this.lanes.get(id)?.waiting.length ?? 0;
  }
}
