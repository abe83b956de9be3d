// The real fleet CLI in-process against fake daemons on the control socket: a daemon's bug
// is exit 70 in one line, a refusal is exit 1 with its message, a slow daemon is named as
// slow. What `fleet down` does about containers is in test/fleet/e2e/down-leftovers.test.ts.
import t from 'tap';
import { FleetError } from '../../../../src/fleet/errors.js';
import { socketPath } from '../../../../src/fleet/names.js';
import { fleetInProcess as fleet, gate, serve, tempRunDir, useRunDir } from './helpers.js';

t.test("a daemon's bug is exit 70 and one line", async (t) => {
  useRunDir(t, tempRunDir(t));
  const name = 'buggy';
  await serve(t, socketPath(name), { status: () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'ip')")) });
  const result = await fleet(['status', '--name', name]);
  t.equal(result.code, 70, 'exit 70: a bug, not the user\'s doing');
  t.equal(result.stderr, `Error: internal error: fleet "buggy" failed inside its daemon: GET /status failed: Cannot read properties of undefined (reading 'ip')\n`, 'one line');
  t.equal(result.stdout, '', 'nothing on stdout');
});

t.test('a refusal by the daemon is exit 1 with its message', async (t) => {
  useRunDir(t, tempRunDir(t));
  const name = 'small';
  await serve(t, socketPath(name), { scale: () => Promise.reject(new FleetError('FLEET_SCALE_REJECTED', 'cannot remove 3: fleet "small" has 1 members and keeps at least 1')) });
  const result = await fleet(['remove', '--count', '3', '--name', name]);
  t.same(result, { code: 1, stdout: '', stderr: 'Error: cannot remove 3: fleet "small" has 1 members and keeps at least 1\n' }, "exit 1 and the daemon's message");
});

t.test('status against a daemon slow to answer says so, not that the fleet is not running', async (t) => {
  useRunDir(t, tempRunDir(t));
  const name = 'slow';
  const release = gate(t);
  await serve(t, socketPath(name), { status: () => release.wait.then(() => Promise.reject(new Error('released'))) });
  const result = await fleet(['status', '--name', name], { controlTimeoutMs: 200 });
  t.equal(result.code, 1, 'exit 1');
  t.equal(result.stderr, `Error: fleet "slow" did not answer GET /status within 0.2 s on ${socketPath(name)}\n`, 'one line naming the wait and the socket');
});
