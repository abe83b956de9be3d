// The workers' request figures summed in the primary, and the rates over the last seconds.
import t from 'tap';
import { RecentRates, rateBetween } from '../../../src/fleet/admin/recent.js';
import { RequestTotals, quantile } from '../../../src/fleet/admin/request-totals.js';
import { DURATION_BUCKETS, type RequestFigures, emptyFigures } from '../../../src/fleet/data/request-stats.js';

/** Figures of one member: `n` answers of class `cls` (0 = 1xx) in bucket `bucket`, each `seconds` long. */
function figures(member: string, n: number, cls = 1, bucket = 2, seconds = 0.004, retries = 0): RequestFigures {
  const f = emptyFigures();
  f.codes[cls] = n;
  f.buckets[bucket] = n;
  f.sum = n * seconds;
  return { retries, members: { [member]: f } };
}

t.test('deltas from every worker add up per member and for the fleet', async (t) => {
  const cases: { name: string; reports: RequestFigures[]; member: string; codes: number[]; count: number; all: number; retries: number }[] = [
    { name: 'one worker, one report', reports: [figures('a', 3)], member: 'a', codes: [0, 3, 0, 0, 0], count: 3, all: 3, retries: 0 },
    { name: 'two workers report the same member', reports: [figures('a', 3), figures('a', 4)], member: 'a', codes: [0, 7, 0, 0, 0], count: 7, all: 7, retries: 0 },
    { name: 'other members count for the fleet only', reports: [figures('a', 2), figures('b', 5, 4)], member: 'a', codes: [0, 2, 0, 0, 0], count: 2, all: 7, retries: 0 },
    { name: 'classes stay apart', reports: [figures('a', 2, 1), figures('a', 1, 4)], member: 'a', codes: [0, 2, 0, 0, 1], count: 3, all: 3, retries: 0 },
    { name: 'retries are summed', reports: [figures('a', 1, 1, 2, 0.004, 2), figures('b', 1, 1, 2, 0.004, 3)], member: 'a', codes: [0, 1, 0, 0, 0], count: 1, all: 2, retries: 5 },
  ];
  for (const c of cases) {
    const totals = new RequestTotals();
    for (const report of c.reports) totals.add(report);
    t.same(totals.member(c.member)?.codes, c.codes, `${c.name}: classes`);
    t.equal(totals.member(c.member)?.count, c.count, `${c.name}: count`);
    t.equal(totals.all.count, c.all, `${c.name}: fleet count`);
    t.equal(totals.retries, c.retries, `${c.name}: retries`);
  }
});

t.test('a member that is gone leaves the totals, the fleet count stays', async (t) => {
  const totals = new RequestTotals();
  totals.add(figures('a', 2));
  totals.add(figures('b', 3));
  totals.add(figures('none', 1));
  totals.prune(new Set(['b']));
  t.same([...totals.members()].map(([name]) => name).sort(), ['b', 'none'], "a is gone; the balancer's own answers stay");
  t.equal(totals.all.count, 6, 'the fleet count never goes down');
});

t.test('quantiles interpolate within a bucket, as histogram_quantile does', async (t) => {
  const at = (counts: Record<number, number>): number[] => {
    const buckets = new Array<number>(DURATION_BUCKETS.length + 1).fill(0);
    for (const [i, n] of Object.entries(counts)) buckets[Number(i)] = n;
    return buckets;
  };
  const cases: [string, number, number[], number | null][] = [
    ['no observations', 0.5, at({}), null],
    ['all in the first bucket: half of its bound', 0.5, at({ 0: 10 }), 0.0005],
    ['all in the 2.5-5 ms bucket: p50 midway', 0.5, at({ 2: 4 }), 0.00375],
    ['p99 in the upper of two buckets', 0.99, at({ 0: 50, 6: 50 }), 0.05 + 0.05 * 0.98],
    ['p50 exactly at a bucket edge', 0.5, at({ 0: 50, 6: 50 }), 0.001],
    ['in +Inf: the highest bound', 0.5, at({ [DURATION_BUCKETS.length]: 3 }), 10],
  ];
  for (const [what, q, buckets, expected] of cases) {
    const got = quantile(q, buckets);
    if (expected === null) t.equal(got, null, what);
    else t.ok(got !== null && Math.abs(got - expected) < 1e-9, `${what}: ${got} = ${expected}`);
  }
});

t.test('rates are the difference between now and the sample a window ago', async (t) => {
  const totals = new RequestTotals();
  const recent = new RecentRates(totals, 5_000);
  t.same(recent.rates(0).totals, { rps: 0, p50: null, p99: null }, 'nothing sampled: idle');
  totals.add(figures('a', 100, 1, 0));
  recent.sample(0);
  for (let s = 1; s <= 10; s++) {
    totals.add(figures('a', 10, 1, 4, 0.02));
    recent.sample(s * 1_000);
  }
  const { totals: fleet, members } = recent.rates(10_000);
  t.equal(fleet.rps, 10, '10 requests a second over the last 5 s, not the burst before');
  t.equal(members.a.rps, 10);
  t.ok(fleet.p50 !== null && fleet.p50 > 10 && fleet.p50 <= 25, `p50 in the 10-25 ms bucket (${fleet.p50} ms)`);
  t.same(rateBetween(totals.all, totals.all, 5), { rps: 0, p50: null, p99: null }, 'no change: no rate, no percentiles');
});
