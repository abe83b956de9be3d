// The first step of a change behind the daemon's back: what each Docker event of a member
// tells the rotation and the controller.
import t from 'tap';
import { PassThrough } from 'node:stream';
import { Logger } from '../../../src/log.js';
import { type EventTarget, routeEvent } from '../../../src/fleet/control/events.js';
import { MemberSet } from '../../../src/fleet/control/members.js';

function setup() {
  const members = new MemberSet({ rise: 2, fall: 3 });
  members.upsert({ id: 'a', name: 'm-a', ip: '10.0.0.2', port: 8080 });
  members.setReady('a', true);
  members.report('a', true);
  const calls: string[] = [];
  const controller: EventTarget = {
    observeDeath: (id) => calls.push(`death ${id}`),
    observeStart: (id) => calls.push(`start ${id}`),
    request: () => calls.push('pass'),
  };
  const log = new Logger({ level: 'ERROR', stream: new PassThrough() });
  return { members, controller, calls, log };
}

const cases: { action: string; call: string; inRotation: boolean }[] = [
  { action: 'die', call: 'death a', inRotation: false },
  { action: 'oom', call: 'death a', inRotation: false },
  { action: 'destroy', call: 'death a', inRotation: false },
  { action: 'start', call: 'start a', inRotation: true },
  { action: 'restart', call: 'start a', inRotation: true },
  { action: 'unpause', call: 'start a', inRotation: true },
  { action: 'stop', call: 'pass', inRotation: true },
  { action: 'pause', call: 'pass', inRotation: true },
];

for (const k of cases) {
  t.test(`${k.action}: ${k.call}`, async (t) => {
    const { members, controller, calls, log } = setup();
    routeEvent({ action: k.action, id: 'a' }, members, controller, log);
    t.same(calls, [k.call], 'the controller hears it once');
    t.equal(members.rotation.some((m) => m.id === 'a'), k.inRotation, k.inRotation ? 'the member keeps its place' : 'out of rotation at once');
  });
}

t.test('a draining member that dies is not reported unreachable: its drain goes on', async (t) => {
  const { members, controller, calls, log } = setup();
  members.fence('a');
  routeEvent({ action: 'die', id: 'a' }, members, controller, log);
  t.same(calls, ['death a']);
  t.equal(members.get('a')?.health.up, true, 'its health is left alone');
});
