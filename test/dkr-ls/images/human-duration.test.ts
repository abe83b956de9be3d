import t from 'tap';
import { createdSince, humanDuration } from '../../../src/dkr-ls/images/human-duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const W = 7 * D;
const MO = 30 * D;
const Y = 365 * D;

t.test('go-units HumanDuration at every boundary', async (t) => {
  const cases: [number, string][] = [
    [-5 * S, 'Less than a second'],
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [S, '1 second'],
    [2 * S - 1, '1 second'],
    [2 * S, '2 seconds'],
    [59 * S + 999, '59 seconds'],
    [60 * S, 'About a minute'],
    [2 * M - 1, 'About a minute'],
    [2 * M, '2 minutes'],
    [35 * M + 40 * S, '35 minutes'],
    [60 * M - 1, '59 minutes'],
    [60 * M, 'About an hour'],
    [H + 29 * M, 'About an hour'],
    [H + 30 * M - 1, 'About an hour'],
    [H + 30 * M, '2 hours'], // hours round to nearest from here on
    [3 * H + 29 * M, '3 hours'],
    [3 * H + 31 * M, '4 hours'],
    [24 * H, '24 hours'],
    [47 * H + 30 * M - 1, '47 hours'],
    [47 * H + 30 * M, '2 days'],
    [13 * D + 5 * H, '13 days'],
    [13 * D + 23 * H + 30 * M - 1, '13 days'],
    [13 * D + 23 * H + 30 * M, '2 weeks'],
    [2 * W + 4 * D, '2 weeks'],
    [3 * W, '3 weeks'],
    [MO, '4 weeks'],
    [MO + 2 * W, '6 weeks'],
    [2 * MO - 30 * M - 1, '8 weeks'],
    [2 * MO - 30 * M, '2 months'],
    [3 * MO + W, '3 months'],
    [13 * MO, '13 months'],
    [24 * MO, '24 months'],
    [2 * Y - 30 * M - 1, '24 months'],
    [2 * Y - 30 * M, '1 years'], // docker's quirk: the rounded hours pass 2 years, the truncated ones don't
    [2 * Y, '2 years'],
    [3 * Y + 2 * MO, '3 years'],
  ];
  for (const [ms, want] of cases) t.equal(humanDuration(ms), want, `${ms} ms reads "${want}"`);
});

t.test('CREATED adds " ago", and N/A for the zero time', async (t) => {
  const now = Date.UTC(2020, 9, 1);
  t.equal(createdSince(now / 1000 - 14 * 24 * 3600, now), '2 weeks ago');
  t.equal(createdSince(now / 1000 + 60, now), 'Less than a second ago', 'a clock skewed into the future');
  t.equal(createdSince(-62135596800, now), 'N/A');
});
