// What a worker counts of the answers it gives, and hands to the primary as deltas.
import t from 'tap';
import { isFromWorker } from '../../../src/fleet/data/messages.js';
import { DURATION_BUCKETS, RequestStats, bucketOf } from '../../../src/fleet/data/request-stats.js';

t.test('a duration falls in the first bucket whose bound it does not exceed', async (t) => {
  const cases: [number, number][] = [
    [0, 0],
    [0.001, 0],
    [0.0011, 1],
    [0.05, 5],
    [10, DURATION_BUCKETS.length - 1],
    [10.5, DURATION_BUCKETS.length],
  ];
  for (const [seconds, bucket] of cases) t.equal(bucketOf(seconds), bucket, `${seconds} s is in bucket ${bucket}`);
});

t.test('take hands over what was answered since the last take, by member and status class', async (t) => {
  const stats = new RequestStats();
  t.equal(stats.take(), undefined, 'nothing answered: nothing to report');
  stats.answered('m1', 200, 3, 1);
  stats.answered('m1', 502, 30, 3);
  stats.answered(undefined, 503, 0.2, 0);
  stats.answered('m2', 304, 2_000, 2);
  const figures = stats.take();
  t.ok(figures && isFromWorker({ t: 'requests', ...figures }), 'the report is a valid message');
  t.equal(figures?.retries, 3, 'each attempt after the first is a retry');
  t.same(figures?.members.m1.codes, [0, 1, 0, 0, 1], 'm1: one 2xx, one 5xx');
  t.same(figures?.members.none.codes, [0, 0, 0, 0, 1], "the balancer's own answer is member none");
  t.same(figures?.members.m2.codes, [0, 0, 1, 0, 0]);
  t.equal(figures?.members.m1.buckets[bucketOf(0.003)], 1, '3 ms counted in its bucket');
  t.equal(figures?.members.m1.buckets[bucketOf(0.03)], 1, '30 ms counted in its bucket');
  t.equal(figures?.members.m1.sum, 0.033, 'the sum is in seconds');
  stats.answered('m1', 200, 1, 1);
  const next = stats.take();
  t.same(Object.keys(next?.members ?? {}), ['m1'], 'the next report has only what happened since');
  t.same(next?.members.m1.codes, [0, 1, 0, 0, 0], 'counts start again from zero');
  t.equal(next?.retries, 0);
  t.equal(stats.take(), undefined, 'an idle worker reports nothing');
});
