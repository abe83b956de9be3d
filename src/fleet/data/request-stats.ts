// What a worker counts of the requests it answers, for the primary's metrics: per member,
// answers by status class and a duration histogram; and the retries. Recording a request
// allocates nothing (the member's entry is made once); `take` hands over what happened
// since the last call, as deltas the primary adds to its totals.

/** Upper bounds of the request-duration histogram, in seconds (the last bucket, +Inf, is implicit). */
export const DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** `1xx` to `5xx`. */
export const CODE_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** The member label of answers the balancer gave itself (no member, a refused request). */
export const NO_MEMBER = 'none';

/** One member's figures: answers per status class, and per duration bucket (not cumulative; +Inf last). */
export interface MemberFigures {
  codes: number[];
  buckets: number[];
  /** Seconds, all answers together. */
  sum: number;
}

/** What a worker reports: deltas since its last report. */
export interface RequestFigures {
  /** Requests sent again to another member. */
  retries: number;
  /** By member name. */
  members: Record<string, MemberFigures>;
}

/** What the balancer tells when it has answered a request. */
export interface RequestObserver {
  /** `member` undefined when the balancer answered itself; `attempts` counts the first. */
  answered(member: string | undefined, status: number, ms: number, attempts: number): void;
}

interface Entry extends MemberFigures {
  count: number;
}

export function emptyFigures(): MemberFigures {
  return { codes: [0, 0, 0, 0, 0], buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), sum: 0 };
}

/** The index of the bucket a duration in seconds falls in (the last one is +Inf). */
export function bucketOf(seconds: number): number {
  let i = 0;
  while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
  return i;
}

export class RequestStats implements RequestObserver {
  private readonly entries = new Map<string, Entry>();
  private retries = 0;

  answered(member: string | undefined, status: number, ms: number, attempts: number): void {
    const name = member ?? NO_MEMBER;
    let entry = this.entries.get(name);
    if (!entry) {
      entry = { ...emptyFigures(), count: 0 };
      this.entries.set(name, entry);
    }
    const cls = Math.floor(status / 100) - 1;
    if (cls >= 0 && cls < 5) entry.codes[cls]++;
    const seconds = ms / 1000;
    entry.buckets[bucketOf(seconds)]++;
    entry.sum += seconds;
    entry.count++;
    if (attempts > 1) this.retries += attempts - 1;
  }

  /** What happened since the last call; undefined when nothing did. */
  take(): RequestFigures | undefined {
    let members: Record<string, MemberFigures> | undefined;
    for (const [name, entry] of this.entries) {
      // Idle since the last report: dropped, so a member that is gone leaves nothing behind.
      if (entry.count === 0) {
        this.entries.delete(name);
        continue;
      }
      members ??= {};
      members[name] = { codes: entry.codes.slice(), buckets: entry.buckets.slice(), sum: entry.sum };
      entry.codes.fill(0);
      entry.buckets.fill(0);
      entry.sum = 0;
      entry.count = 0;
    }
    if (!members && this.retries === 0) return undefined;
    const figures = { retries: this.retries, members: members ?? {} };
    this.retries = 0;
    return figures;
  }
}
