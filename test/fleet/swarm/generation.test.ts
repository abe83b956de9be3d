import t from 'tap';
import { DEATHS_PER_BASE, baseOf, sortIps, stackList } from '../../../src/fleet/swarm/generation.js';
import type { SwarmMember } from '../../../src/fleet/swarm/tasks.js';

const member = (n: number): SwarmMember => ({ id: `c${n}`, taskId: `t${n}`, name: `web_members.${n}`, ip: `10.0.1.${n}`, nodeId: 'a' });
const three = [member(1), member(2), member(3)];

t.test('the generation of a list', async (t) => {
  const cases: [string, { index: number; floor: number; dead: string[] }, number, string[]][] = [
    ['index × 1024 with no death heard', { index: 40, floor: 0, dead: [] }, 40 * DEATHS_PER_BASE, ['10.0.1.1', '10.0.1.2', '10.0.1.3']],
    ['one more per death heard and not yet recorded by Swarm', { index: 40, floor: 0, dead: ['c2'] }, 40 * DEATHS_PER_BASE + 1, ['10.0.1.1', '10.0.1.3']],
    ['two deaths, two more', { index: 40, floor: 0, dead: ['c2', 'c3'] }, 40 * DEATHS_PER_BASE + 2, ['10.0.1.1']],
    ['a death of a container not in the observation counts nothing', { index: 40, floor: 0, dead: ['c9'] }, 40 * DEATHS_PER_BASE, ['10.0.1.1', '10.0.1.2', '10.0.1.3']],
    ['a floor above the index is the base: a reaped task never lowers it', { index: 38, floor: 40, dead: [] }, 40 * DEATHS_PER_BASE, ['10.0.1.1', '10.0.1.2', '10.0.1.3']],
    ['an index above the floor is the base', { index: 41, floor: 40, dead: [] }, 41 * DEATHS_PER_BASE, ['10.0.1.1', '10.0.1.2', '10.0.1.3']],
    ['no task at all is generation 1, not 0', { index: 0, floor: 0, dead: [] }, 1, ['10.0.1.1', '10.0.1.2', '10.0.1.3']],
  ];
  for (const [name, { index, floor, dead }, generation, ips] of cases) {
    const list = stackList(three, index, floor, new Set(dead));
    t.same({ generation: list.generation, ips: list.ips }, { generation, ips }, name);
  }
});

t.test('two balancers that observed the same compute the same list and generation', async (t) => {
  const a = stackList([member(3), member(1), member(2)], 40, 0, new Set(['c1']));
  const b = stackList([member(1), member(2), member(3)], 40, 0, new Set(['c1']));
  t.same(a, b, 'the order of the answer and of the deaths does not matter');
});

t.test('a later observation has a greater generation than an earlier one', async (t) => {
  // A member dies: heard first (same index, +1), then Swarm records it (index grows, count starts again).
  const steps = [stackList(three, 40, 0, new Set()), stackList(three, 40, 0, new Set(['c2'])), stackList([member(1), member(3)], 41, 40, new Set())];
  const generations = steps.map((s) => s.generation);
  t.same([...generations].sort((x, y) => x - y), generations, 'heard, then recorded: each generation greater than the one before');
  t.same(steps[1].ips, steps[2].ips, 'and the list a death heard made is the one Swarm records after');
});

t.test('deaths within one base are capped below the next base', async (t) => {
  const many = Array.from({ length: 1100 }, (_, i) => ({ ...member(1), id: `c${i}`, ip: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}` }));
  const list = stackList(many, 7, 0, new Set(many.map((m) => m.id)));
  t.equal(list.generation, 7 * DEATHS_PER_BASE + DEATHS_PER_BASE - 1, '1100 deaths count as 1023');
  t.equal(baseOf(list.generation), 7, 'and the base stays 7');
});

t.test('addresses are sorted by number, not as text, and given once', async (t) => {
  t.same(sortIps(['10.0.1.10', '10.0.1.9', '10.0.0.200', '10.0.1.9']), ['10.0.0.200', '10.0.1.9', '10.0.1.10']);
});
