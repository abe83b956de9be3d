// The workers' request figures summed in the primary: each worker reports deltas (see
// data/request-stats.ts) and they add up here, per member and for the whole fleet. Gauges
// (health, in flight) are never summed here: they come from the primary's own state.
import { DURATION_BUCKETS, type MemberFigures, NO_MEMBER, type RequestFigures, emptyFigures } from '../data/request-stats.js';

/** Cumulative figures of one member, or of all. */
export interface Totals extends MemberFigures {
  count: number;
}

function emptyTotals(): Totals {
  return { ...emptyFigures(), count: 0 };
}

function addInto(into: Totals, figures: MemberFigures): void {
  for (let i = 0; i < into.codes.length; i++) into.codes[i] += figures.codes[i] ?? 0;
  let count = 0;
  for (let i = 0; i < into.buckets.length; i++) {
    const n = figures.buckets[i] ?? 0;
    into.buckets[i] += n;
    count += n;
  }
  into.sum += figures.sum;
  into.count += count;
}

export class RequestTotals {
  private readonly byMember = new Map<string, Totals>();
  /** Every request ever answered, members since removed included: never goes down. */
  readonly all: Totals = emptyTotals();
  retries = 0;

  add(figures: RequestFigures): void {
    this.retries += figures.retries;
    for (const name of Object.keys(figures.members)) {
      const member = figures.members[name];
      let totals = this.byMember.get(name);
      if (!totals) {
        totals = emptyTotals();
        this.byMember.set(name, totals);
      }
      addInto(totals, member);
      addInto(this.all, member);
    }
  }

  /** Forgets members that are gone (labels stay bounded); the balancer's own answers stay. */
  prune(present: ReadonlySet<string>): void {
    for (const name of this.byMember.keys()) if (name !== NO_MEMBER && !present.has(name)) this.byMember.delete(name);
  }

  members(): IterableIterator<[string, Totals]> {
    return this.byMember.entries();
  }

  member(name: string): Totals | undefined {
    return this.byMember.get(name);
  }
}

/** A copy, for the rates over a window. */
export function copyTotals(totals: Totals): Totals {
  return { codes: totals.codes.slice(), buckets: totals.buckets.slice(), sum: totals.sum, count: totals.count };
}

/**
 * The `q` quantile (0..1) of a histogram's bucket counts (not cumulative, +Inf last), in
 * seconds, interpolated within its bucket as Prometheus's histogram_quantile does; null
 * without observations. One in the +Inf bucket is the highest finite bound.
 */
export function quantile(q: number, buckets: readonly number[]): number | null {
  let total = 0;
  for (const n of buckets) total += n;
  if (total <= 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i];
    if (n > 0 && below + n >= rank) {
      if (i >= DURATION_BUCKETS.length) return DURATION_BUCKETS[DURATION_BUCKETS.length - 1];
      const lower = i === 0 ? 0 : DURATION_BUCKETS[i - 1];
      const upper = DURATION_BUCKETS[i];
      return lower + (upper - lower) * ((rank - below) / n);
    }
    below += n;
  }
  return DURATION_BUCKETS[DURATION_BUCKETS.length - 1];
}
