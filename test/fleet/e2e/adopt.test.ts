// A daemon that dies leaves its members running; the next `fleet up` adopts them.
import t from 'tap';
import { converged, docker, fleet, freePort, get, inspectMembers, registerCleanup, fleetName, requireEngine, startDaemon } from './harness.js';

t.test('SIGKILL of the daemon, then fleet up again, adopts the same containers', async (t) => {
  if (!(await requireEngine(t))) return;
  const name = fleetName('adopt');
  registerCleanup(t, name);
  const first = await startDaemon(name, await freePort(), 3);
  await converged(name, 3);
  const before = await inspectMembers(name);
  first.child.kill('SIGKILL');
  await first.exited;
  t.same(await inspectMembers(name), before, 'the members outlive their daemon');

  const stale = await fleet(['status', '--name', name]);
  t.equal(stale.code, 1, 'status of a dead daemon fails');
  t.match(stale.stderr, /is not running/, 'and says so');

  const second = await startDaemon(name, await freePort(), 3);
  await converged(name, 3);
  t.same(await inspectMembers(name), before, 'the same container ids, with the same IPs, serve');
  t.match(second.logs(), /adopting=3/, 'the daemon says it adopted them');
  t.notMatch(second.logs(), /member\.started/, 'and started none');
  const answer = await get('127.0.0.1', second.port);
  t.equal(answer.status, 200, 'the new balancer serves through them');

  t.test('adoption then reconciles the count to the new --replicas', async (t) => {
    const result = await fleet(['add', '--name', name]);
    t.equal(result.code, 0);
    await converged(name, 4);
  });

  t.test('fleet down after a daemon crash cleans up what it left', async (t) => {
    second.child.kill('SIGKILL');
    await second.exited;
    const result = await fleet(['down', '--name', name]);
    t.equal(result.code, 0, result.stderr);
    t.match(result.stdout, /removed 4 containers and its network/);
    t.equal(await docker('ps', '-aq', '--filter', `label=io.fleet.name=${name}`), '', 'no container left');
    t.equal(await docker('network', 'ls', '-q', '--filter', `name=^fleet-${name}$`), '', 'no network left');
  });
});

t.test('SIGTERM acts like fleet down', async (t) => {
  if (!(await requireEngine(t))) return;
  const name = fleetName('term');
  registerCleanup(t, name);
  const d = await startDaemon(name, await freePort(), 2);
  d.child.kill('SIGTERM');
  t.equal(await d.exited, 0, 'the daemon exits 0');
  t.equal(await docker('ps', '-aq', '--filter', `label=io.fleet.name=${name}`), '', 'no container left');
  t.equal(await docker('network', 'ls', '-q', '--filter', `name=^fleet-${name}$`), '', 'no network left');
});
