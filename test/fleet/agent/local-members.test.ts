// What a re-list of the node's containers changes, deaths reported by events included.
import { PassThrough } from 'node:stream';
import t from 'tap';
import { Logger } from '../../../src/log.js';
import { LocalMembers, type MemberSource, diffMembers } from '../../../src/fleet/agent/local-members.js';
import type { ContainerEvent, LabelledContainer } from '../../../src/fleet/docker/labelled.js';
import { turn } from '../../clock.js';

t.test('a list starts new running members and ends those gone; a later death is not undone', async (t) => {
  const known = new Map([
    ['a', '10.0.0.2'],
    ['b', '10.0.0.3'],
  ]);
  const cases: [string, { id: string; ip: string | undefined }[], string[], { started: string[]; died: string[] }][] = [
    ['nothing changed', [{ id: 'a', ip: '10.0.0.2' }, { id: 'b', ip: '10.0.0.3' }], [], { started: [], died: [] }],
    ['a new member', [{ id: 'a', ip: '10.0.0.2' }, { id: 'b', ip: '10.0.0.3' }, { id: 'c', ip: '10.0.0.4' }], [], { started: ['c'], died: [] }],
    ['a member without an address yet is not started', [{ id: 'a', ip: '10.0.0.2' }, { id: 'b', ip: '10.0.0.3' }, { id: 'c', ip: undefined }], [], { started: [], died: [] }],
    ['a member gone', [{ id: 'a', ip: '10.0.0.2' }], [], { started: [], died: ['b'] }],
    ['every member gone', [], [], { started: [], died: ['a', 'b'] }],
    ['a member a die event named, still listed running', [{ id: 'a', ip: '10.0.0.2' }, { id: 'c', ip: '10.0.0.4' }], ['c'], { started: [], died: ['b'] }],
  ];
  for (const [what, observed, diedSince, want] of cases) {
    const diff = diffMembers(known, observed, new Set(diedSince));
    t.same({ started: diff.started.map((m) => m.id), died: diff.died.map((m) => m.id) }, want, what);
  }
});

class FakeSource implements MemberSource {
  containers: LabelledContainer[] = [];
  lists = 0;
  failNext = false;
  /** Holds the next list's answer until released, as a slow engine would. */
  hold: Promise<void> | undefined;
  emit: (event: ContainerEvent) => void = () => undefined;

  async list(): Promise<LabelledContainer[]> {
    this.lists++;
    const snapshot = [...this.containers];
    await this.hold;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('engine error');
    }
    return snapshot;
  }

  async follow(onEvent: (event: ContainerEvent) => void, onConnect: () => void, _onDrop: (reason: string) => void, signal: AbortSignal): Promise<void> {
    this.emit = onEvent;
    onConnect();
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  }
}

function watch(t: { teardown(fn: () => unknown): void }) {
  const source = new FakeSource();
  const seen: string[] = [];
  const logs = new PassThrough();
  logs.resume();
  const members = new LocalMembers(source, { started: (m) => seen.push(`start ${m.id} ${m.ip}`), died: (m) => seen.push(`die ${m.id} ${m.ip}`) }, new Logger({ level: 'INFO', stream: logs }), 60_000);
  t.teardown(() => members.close());
  return { source, seen, members };
}

// The fake source answers in promises alone: one turn of the event loop runs every list asked for.
const settle = turn;

t.test('a die event is reported at once, with the address last seen', async (t) => {
  const { source, seen, members } = watch(t);
  source.containers = [{ id: 'a', ip: '10.0.0.2' }];
  await members.start();
  await settle();
  source.containers = [];
  source.emit({ action: 'die', id: 'a' });
  t.same(seen, ['start a 10.0.0.2', 'die a 10.0.0.2'], 'the death is reported before any re-list answers');
});

t.test('a list asked for before a death does not bring the member back', async (t) => {
  const { source, seen, members } = watch(t);
  source.containers = [{ id: 'a', ip: '10.0.0.2' }];
  await members.start();
  await settle();
  let release = (): void => undefined;
  source.hold = new Promise((resolve) => (release = resolve));
  // A start elsewhere asks for a list; the engine answers slowly, with a still running.
  source.emit({ action: 'start', id: 'b' });
  source.emit({ action: 'die', id: 'a' });
  source.hold = undefined;
  source.containers = [];
  release();
  await settle();
  await settle();
  t.same(seen, ['start a 10.0.0.2', 'die a 10.0.0.2'], 'a is not started again');
  t.same(members.members, []);
});

t.test('a list answered after a die event that still shows the member running does not revive it', async (t) => {
  const { source, seen, members } = watch(t);
  source.containers = [{ id: 'a', ip: '10.0.0.2' }];
  await members.start();
  await settle();
  // The engine still lists a as running right after its die event.
  source.emit({ action: 'die', id: 'a' });
  await settle();
  t.same(seen, ['start a 10.0.0.2', 'die a 10.0.0.2'], 'a is not started again');
  source.containers = [];
  source.emit({ action: 'start', id: 'b' });
  await settle();
  source.containers = [{ id: 'a', ip: '10.0.0.2' }];
  source.emit({ action: 'start', id: 'a' });
  await settle();
  t.same(seen.slice(2), ['start a 10.0.0.2'], 'a restarted (a start event) is a member again');
});

t.test('a failed list changes nothing; the next one heals', async (t) => {
  const { source, seen, members } = watch(t);
  source.containers = [{ id: 'a', ip: '10.0.0.2' }];
  await members.start();
  await settle();
  source.failNext = true;
  source.emit({ action: 'start', id: 'b' });
  await settle();
  t.same(members.members, [{ id: 'a', ip: '10.0.0.2' }], 'a failed list kills no member');
  source.containers = [{ id: 'a', ip: '10.0.0.2' }, { id: 'b', ip: '10.0.0.3' }];
  source.emit({ action: 'start', id: 'b' });
  await settle();
  t.same(seen, ['start a 10.0.0.2', 'start b 10.0.0.3']);
});
