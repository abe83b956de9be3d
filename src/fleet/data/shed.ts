// Shedding at the front door. A worker's first queue is its own event loop: when it runs
// behind, every request waits for it before anything else is done for it, whatever the
// members do, and no counter sees that wait. How late a timer runs is that wait. Past a
// quarter of the bound a share of new requests is answered 503 at once, rising to all of
// them at half the bound (a request crosses the loop about twice), so that the requests
// taken are answered within the bound instead of every request waiting seconds (CoDel's
// idea: act on the time spent queued, not on a queue length, and only once it has stayed
// high: a lag counts when two readings in a row show it, so one long turn (a fresh worker's
// first requests, a collection) sheds nothing, while a loop that keeps running behind does).

/** How often the lag is read. */
export const PROBE_MS = 25;
/** A lag reading counts this much into the smoothed lag; a higher reading counts at once. */
const DECAY = 0.25;

export interface ShedClock {
  now(): number;
  random(): number;
}

const realClock: ShedClock = { now: () => performance.now(), random: Math.random };

export class Shedder {
  private lagMs = 0;
  /** The previous reading: a rise counts only as far as two readings in a row show it. */
  private lastLate = 0;
  private last: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** The longest a request should wait in the balancer's queues. */
    private readonly boundMs: number,
    private readonly clock: ShedClock = realClock,
  ) {
    this.last = clock.now();
  }

  /** The lag now (smoothed), in ms. */
  get lag(): number {
    return this.lagMs;
  }

  start(): void {
    if (this.timer) return;
    this.last = this.clock.now();
    this.timer = setInterval(() => this.tick(), PROBE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A probe ran: how late it is, past its period, is the loop's lag. */
  tick(): void {
    const now = this.clock.now();
    const late = Math.max(0, now - this.last - PROBE_MS);
    this.last = now;
    // Rises as soon as two readings in a row show it, falls gradually: one slow turn does not
    // begin an overload, one quick turn does not end it.
    const sustained = Math.min(late, this.lastLate);
    this.lastLate = late;
    this.lagMs = sustained >= this.lagMs ? sustained : this.lagMs + (Math.min(late, this.lagMs) - this.lagMs) * DECAY;
  }

  /** Should this request be turned away? */
  shed(): boolean {
    const low = this.boundMs / 4;
    if (this.lagMs <= low) return false;
    const share = (this.lagMs - low) / low;
    return share >= 1 || this.clock.random() < share;
  }
}
