// Requests per second and latency percentiles over the last few seconds, for the live
// feed: the cumulative totals are sampled every second and each figure is the difference
// between now and the sample a window ago (as Prometheus's rate() over a range).
import { type RequestTotals, type Totals, copyTotals, quantile } from './request-totals.js';

export interface Rate {
  rps: number;
  /** Milliseconds; null without a request in the window. */
  p50: number | null;
  p99: number | null;
}

interface Sample {
  at: number;
  all: Totals;
  members: Map<string, Totals>;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

/** The rate between a base and now, over `seconds`. */
export function rateBetween(now: Totals, base: Totals | undefined, seconds: number): Rate {
  const buckets = now.buckets.map((n, i) => n - (base?.buckets[i] ?? 0));
  const count = now.count - (base?.count ?? 0);
  const ms = (q: number): number | null => {
    const s = quantile(q, buckets);
    return s === null ? null : round(s * 1000);
  };
  return { rps: seconds > 0 ? round(count / seconds) : 0, p50: ms(0.5), p99: ms(0.99) };
}

export class RecentRates {
  private readonly samples: Sample[] = [];

  constructor(
    private readonly totals: RequestTotals,
    private readonly windowMs = 5_000,
  ) {}

  /** Takes a sample; called every second. */
  sample(now = Date.now()): void {
    const members = new Map<string, Totals>();
    for (const [name, totals] of this.totals.members()) members.set(name, copyTotals(totals));
    this.samples.push({ at: now, all: copyTotals(this.totals.all), members });
    // Keep the newest sample at least a window old as the base, and nothing before it.
    while (this.samples.length > 1 && this.samples[1].at <= now - this.windowMs) this.samples.shift();
  }

  /** The fleet's and each member's rates over the window (or as much of it as was sampled). */
  rates(now = Date.now()): { totals: Rate; members: Record<string, Rate> } {
    const base = this.samples[0] as Sample | undefined;
    const members: Record<string, Rate> = {};
    if (!base) return { totals: { rps: 0, p50: null, p99: null }, members };
    const seconds = (now - base.at) / 1000;
    for (const [name, totals] of this.totals.members()) members[name] = rateBetween(totals, base.members.get(name), seconds);
    return { totals: rateBetween(this.totals.all, base.all, seconds), members };
  }
}
