import t from 'tap';
import { diffMembers, holdingOwnList, owed } from '../../../src/fleet/swarm/changes.js';
import type { SwarmMember } from '../../../src/fleet/swarm/tasks.js';

const m = (id: string, ip: string): SwarmMember => ({ id, taskId: `t-${id}`, name: `web_members.${id}`, ip, nodeId: 'a' });

t.test('what a list changes in the member set', async (t) => {
  const cases: [string, [string, string][], SwarmMember[], { added: string[]; moved: string[]; gone: string[] }][] = [
    ['nothing known: every member is added', [], [m('a', '10.0.1.2'), m('b', '10.0.1.3')], { added: ['a', 'b'], moved: [], gone: [] }],
    ['the same members: no change', [['a', '10.0.1.2']], [m('a', '10.0.1.2')], { added: [], moved: [], gone: [] }],
    ['a member no longer listed is gone', [['a', '10.0.1.2'], ['b', '10.0.1.3']], [m('a', '10.0.1.2')], { added: [], moved: [], gone: ['b'] }],
    ['a known member with another address moved', [['a', '10.0.1.2']], [m('a', '10.0.1.9')], { added: [], moved: ['a'], gone: [] }],
    ['an empty list takes every member (the source confirms an empty answer first)', [['a', '10.0.1.2'], ['b', '10.0.1.3']], [], { added: [], moved: [], gone: ['a', 'b'] }],
    ['a replacement: one gone, one added', [['a', '10.0.1.2']], [m('c', '10.0.1.4')], { added: ['c'], moved: [], gone: ['a'] }],
  ];
  for (const [name, known, listed, expected] of cases) {
    const changes = diffMembers(new Map(known), listed);
    t.same({ added: changes.added.map((x) => x.id), moved: changes.moved.map((x) => x.id), gone: changes.gone }, expected, name);
  }
});

t.test('who serves a list naming itself', async (t) => {
  const cases: [string, [string, number][], [string, number | null][], string[]][] = [
    ['a member holding the generation that first listed it', [['10.0.1.2', 5]], [['10.0.1.2', 5]], ['10.0.1.2']],
    ['or a later one', [['10.0.1.2', 5]], [['10.0.1.2', 9]], ['10.0.1.2']],
    ['not one holding an older list, which does not name it', [['10.0.1.2', 5]], [['10.0.1.2', 4]], []],
    ['not one holding none yet', [['10.0.1.2', 5]], [['10.0.1.2', null]], []],
    ['not one no agent reported', [['10.0.1.2', 5]], [], []],
  ];
  for (const [name, first, held, expected] of cases) t.same(holdingOwnList(new Map(first), new Map(held)), expected, name);
});

t.test('which agents are owed a list', async (t) => {
  const cases: [string, number | undefined, number, boolean][] = [
    ['an agent that acknowledged nothing since it (re)connected', undefined, 5, true],
    ['an agent that acknowledged an older generation', 4, 5, true],
    ['not one that acknowledged this generation', 5, 5, false],
    ['not one that holds a newer one (another balancer pushed it)', 6, 5, false],
  ];
  for (const [name, acked, generation, expected] of cases) t.equal(owed(acked, generation), expected, name);
});
