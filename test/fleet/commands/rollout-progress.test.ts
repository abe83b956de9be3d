import t from 'tap';
import { RolloutProgress } from '../../../src/fleet/commands/rollout.js';
import type { FleetStatus, MemberStatus } from '../../../src/fleet/control/types.js';

const member = (id: string, state: string, image = 'old'): MemberStatus => ({ id, name: `m-${id}`, ip: `10.0.0.${id}`, healthy: state === 'up', state, inflight: 0, inSync: true, session: 'open', image });
const status = (...members: MemberStatus[]): FleetStatus => ({ name: 'f', desired: 2, port: 1, host: 'h', image: 'old', pid: 1, members, workers: [] });

t.test('progress lines say what changed between two looks, once each', async (t) => {
  const lines: string[] = [];
  const progress = new RolloutProgress('new', (line) => lines.push(line));
  const steps: [FleetStatus, string[]][] = [
    [status(member('1', 'up'), member('2', 'up')), []],
    [status(member('1', 'up'), member('2', 'up'), member('3', 'pending', 'new')), ['started m-3 (10.0.0.3) on new']],
    [status(member('1', 'up'), member('2', 'up'), member('3', 'pending', 'new')), []],
    [status(member('1', 'up'), member('2', 'draining'), member('3', 'up', 'new')), ['in rotation m-3 (10.0.0.3)']],
    [status(member('1', 'up'), member('3', 'up', 'new')), ['removed m-2 (10.0.0.2)']],
    [status(member('1', 'up'), member('3', 'up', 'new'), member('4', 'up', 'new')), ['started m-4 (10.0.0.4) on new', 'in rotation m-4 (10.0.0.4)']],
  ];
  for (const [look, expected] of steps) {
    lines.length = 0;
    progress.update(look);
    t.same(lines, expected, expected.length ? expected.join('; ') : 'nothing changed, nothing said');
  }
});
