// The shedder: a request is turned away by how late the worker's event loop runs, never by a
// queue length; nothing below a quarter of the bound, all from half of it.
import t from 'tap';
import { PROBE_MS, Shedder } from '../../../src/fleet/data/shed.js';

function shedder(boundMs: number, roll = 0.5): { s: Shedder; advance: (ms: number) => void } {
  let now = 0;
  const s = new Shedder(boundMs, { now: () => now, random: () => roll });
  return {
    s,
    advance: (ms: number) => {
      now += ms;
      s.tick();
    },
  };
}

t.test('a loop on time sheds nothing', async (t) => {
  const { s, advance } = shedder(1_000);
  for (let i = 0; i < 10; i++) advance(PROBE_MS);
  t.equal(s.lag, 0, 'no lag');
  t.notOk(s.shed(), 'the request is taken');
});

t.test('the share shed follows the lag between a quarter and a half of the bound', async (t) => {
  for (const [lateMs, roll, want] of [
    [200, 0, false],
    [250, 0, false],
    [300, 0.1, true],
    [300, 0.3, false],
    [375, 0.49, true],
    [500, 0.99, true],
    [2_000, 0.99, true],
  ] as const) {
    const { s, advance } = shedder(1_000, roll);
    advance(PROBE_MS + lateMs);
    advance(PROBE_MS + lateMs);
    t.equal(s.shed(), want, `lag ${lateMs} ms, roll ${roll}: ${want ? 'shed' : 'taken'}`);
  }
});

t.test('the lag rises once two readings in a row show it, and falls gradually', async (t) => {
  const { s, advance } = shedder(1_000);
  advance(PROBE_MS + 800);
  t.equal(s.lag, 0, 'one late turn alone is no overload');
  t.notOk(s.shed(), 'and sheds nothing');
  advance(PROBE_MS + 800);
  t.equal(s.lag, 800, 'a second late turn in a row counts in full');
  advance(PROBE_MS);
  t.equal(s.lag, 600, 'one quick turn takes a quarter off');
  advance(PROBE_MS + 2_000);
  t.equal(s.lag, 600, 'a lone late turn meanwhile neither raises nor lowers it');
  for (let i = 0; i < 20; i++) advance(PROBE_MS);
  t.ok(s.lag < 5, 'a loop back on time ends the shedding');
  t.notOk(s.shed(), 'and requests are taken again');
});

t.test('a loop that keeps running behind is seen, however its turns vary', async (t) => {
  const { s, advance } = shedder(1_000, 0.99);
  for (const late of [600, 900, 700, 1_200]) advance(PROBE_MS + late);
  t.equal(s.lag, 700, 'the smaller of each two readings in a row');
  t.ok(s.shed(), 'past half the bound every request is shed');
});
