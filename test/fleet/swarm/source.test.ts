// The stack source on a make-believe clock: the manager's answers are a script (tasks, or an
// error), the agents a recorder of the lists published, the member set the real one.
import { PassThrough } from 'node:stream';
import { Clock } from '@tapjs/clock';
import t from 'tap';
import { Logger } from '../../../src/log.js';
import { MemberSet } from '../../../src/fleet/control/members.js';
import { StackSource } from '../../../src/fleet/swarm/source.js';
import type { SwarmTask } from '../../../src/fleet/swarm/tasks.js';

const NET = 'web_fleet';
const task = (n: number, index = 10): SwarmTask => ({
  ID: `t${n}`,
  Version: { Index: index },
  Slot: n,
  DesiredState: 'running',
  Status: { State: 'running', ContainerStatus: { ContainerID: `c${n}` } },
  NetworksAttachments: [{ Network: { Spec: { Name: NET } }, Addresses: [`10.0.1.${n}/24`] }],
});

async function turns(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function setup(t: { teardown(fn: () => unknown): void }, answers: (SwarmTask[] | Error)[]) {
  const clock = new Clock();
  clock.enter();
  t.teardown(() => clock.exit());
  let calls = 0;
  let rereads = 0;
  const published: { generation: number; ips: string[] }[] = [];
  const members = new MemberSet({ rise: 1, fall: 1 }, () => undefined, () => clock.now());
  const source = new StackSource(
    {
      tasks: {
        tasks: () => {
          const answer = answers[Math.min(calls++, answers.length - 1)];
          return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
        },
      },
      members,
      agents: { publish: (list) => published.push(list), flush: () => undefined, refresh: () => Promise.resolve(), reread: () => void rereads++ },
      check: () => Promise.resolve(true),
    },
    { service: 'web_members', network: NET, port: 8080, periodMs: 1_000, maxBackoffMs: 10_000, drainTimeoutMs: 5_000 },
    new Logger({ level: 'ERROR', stream: new PassThrough() }),
  );
  t.teardown(() => source.stop());
  return { clock, members, source, published, calls: () => calls, rereads: () => rereads };
}

const ids = (members: MemberSet): string[] => members.list().filter((m) => m.state !== 'draining').map((m) => m.id).sort();

t.test('the first observation gives the member set its members and the agents their list', async (t) => {
  const { members, source, published } = setup(t, [[task(1), task(2)]]);
  await source.start();
  t.same(ids(members), ['c1', 'c2'], 'both running tasks are members');
  t.same(published, [{ generation: 10 * 1024, ips: ['10.0.1.1', '10.0.1.2'] }], 'one list, generation index × 1024');
});

t.test('a failed observation acts on nothing, and the next read is backed off', async (t) => {
  const { clock, members, source, published, calls } = setup(t, [[task(1), task(2)], new Error('the manager did not answer'), new Error('again'), [task(1), task(2)]]);
  await source.start();
  clock.advance(1_000);
  await turns();
  t.equal(calls(), 2, 'read again after the period');
  t.same(ids(members), ['c1', 'c2'], 'a failed read keeps every member');
  t.equal(published.length, 1, 'and publishes nothing');
  clock.advance(1_999);
  await turns();
  t.equal(calls(), 2, 'after one failure the next read waits 2 s, not 1');
  clock.advance(1);
  await turns();
  t.equal(calls(), 3, 'and comes at 2 s');
  clock.advance(4_000);
  await turns();
  t.equal(calls(), 4, 'after two failures, 4 s');
  t.same(ids(members), ['c1', 'c2'], 'the members never changed');
});

t.test('an empty answer while members are known is asked again before it is believed', async (t) => {
  const { clock, members, source, calls } = setup(t, [[task(1), task(2)], [], []]);
  await source.start();
  clock.advance(1_000);
  await turns();
  t.same(ids(members), ['c1', 'c2'], 'one empty answer takes no member away');
  t.equal(calls(), 2, 'the empty answer was the second read');
  clock.advance(1);
  await turns();
  t.equal(calls(), 3, 'asked again at once');
  t.same(ids(members), [], 'the second, asked at once, is believed');
});

t.test('a death heard from an agent leaves the lists at once, under a greater generation', async (t) => {
  const { clock, members, source, published } = setup(t, [[task(1), task(2), task(3)], [task(1), task(2), task(3)], [task(1, 12), task(3, 12)]]);
  await source.start();
  source.event({ type: 'die', id: 'c2', ip: '10.0.1.2', at: clock.now() }, '10.0.9.1');
  t.same(published.at(-1), { generation: 10 * 1024 + 1, ips: ['10.0.1.1', '10.0.1.3'] }, 'the survivors get a list without it, one generation on');
  t.equal(members.get('c2'), undefined, 'and it is out of the member set');
  clock.advance(1_000);
  await turns();
  t.equal(published.length, 2, 'a read that still shows it running (Swarm has not recorded the death) changes nothing');
  clock.advance(1_000);
  await turns();
  t.same(published.at(-1), { generation: 12 * 1024, ips: ['10.0.1.1', '10.0.1.3'] }, 'once Swarm records it, the same list under the new index');
});

t.test('a death of a container that was no member changes nothing', async (t) => {
  const { clock, source, published } = setup(t, [[task(1)]]);
  await source.start();
  source.event({ type: 'die', id: 'c9', ip: '10.0.1.9', at: clock.now() }, '10.0.9.1');
  t.equal(published.length, 1, 'no new list');
});

t.test('a member enters rotation only once an agent says it holds a list naming it', async (t) => {
  const { members, source } = setup(t, [[task(1)]]);
  await source.start();
  members.report('c1', true);
  t.equal(members.get('c1')?.state, 'pending', 'healthy, but holding no list yet: not in rotation');
  source.holdings('10.0.9.1', [{ id: 'c1', ip: '10.0.1.1', generation: 10 * 1024 - 5 }]);
  t.equal(members.get('c1')?.state, 'pending', 'an older list, which does not name it, is not enough');
  source.holdings('10.0.9.1', [{ id: 'c1', ip: '10.0.1.1', generation: 10 * 1024 }]);
  t.equal(members.get('c1')?.state, 'up', 'the list that named it first: in rotation');
});

t.test("the generation a member holds: the highest any agent reported, null when none did; in sync once it is the current one's", async (t) => {
  const { source } = setup(t, [[task(1)]]);
  await source.start();
  t.equal(source.generationHeld('10.0.1.1'), null, 'no agent reported it');
  t.notOk(source.inSync('c1'));
  source.holdings('10.0.9.1', [{ id: 'c1', ip: '10.0.1.1', generation: null }]);
  t.equal(source.generationHeld('10.0.1.1'), null, 'its agent reported it holds none');
  source.holdings('10.0.9.2', [{ id: 'c1', ip: '10.0.1.1', generation: 10 * 1024 - 5 }]);
  t.equal(source.generationHeld('10.0.1.1'), 10 * 1024 - 5, 'an older one');
  t.notOk(source.inSync('c1'));
  source.holdings('10.0.9.1', [{ id: 'c1', ip: '10.0.1.1', generation: 10 * 1024 }]);
  t.equal(source.generationHeld('10.0.1.1'), 10 * 1024, 'the highest of the two agents');
  t.ok(source.inSync('c1'), 'the current one');
  source.lost('10.0.9.1');
  t.equal(source.generationHeld('10.0.1.1'), 10 * 1024 - 5, 'an agent gone takes its account with it');
});

t.test("an older account of the same container lowers nothing; a new container's account stands as told", async (t) => {
  const { source } = setup(t, [[task(1)]]);
  await source.start();
  source.holdings('10.0.9.1', [{ id: 'c1', ip: '10.0.1.1', generation: 10 * 1024 }]);
  source.holdings('10.0.9.1', [{ id: 'c1', ip: '10.0.1.1', generation: 9 * 1024 }]);
  t.equal(source.generationHeld('10.0.1.1'), 10 * 1024, 'a /status read that crossed a later push answer: the higher stays');
  source.holdings('10.0.9.1', [{ id: 'c1', ip: '10.0.1.1', generation: null }]);
  t.equal(source.generationHeld('10.0.1.1'), 10 * 1024, 'nor does an answer that knows of none (its session reopened): its file stays');
  source.holdings('10.0.9.1', [{ id: 'c7', ip: '10.0.1.1', generation: 9 * 1024 }]);
  t.equal(source.generationHeld('10.0.1.1'), 9 * 1024, 'another container at that address: as told');
  source.holdings('10.0.9.1', []);
  t.equal(source.generationHeld('10.0.1.1'), null, 'a member the answer leaves out is no longer the agent\'s');
});

t.test('while a member of the list is not known to hold it, every read asks the agents what their members hold', async (t) => {
  const { clock, source, rereads } = setup(t, [[task(1)]]);
  await source.start();
  t.equal(rereads(), 1, 'after the first read: nobody holds the list yet');
  source.holdings('10.0.9.1', [{ id: 'c1', ip: '10.0.1.1', generation: 10 * 1024 }]);
  clock.advance(1_000);
  await turns();
  t.equal(rereads(), 1, 'in sync: no more questions');
});
