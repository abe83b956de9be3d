// Membership changes under a steady load: add, docker kill and remove must each
// converge on every member, and not one request may fail on the way.
import t from 'tap';
import { converged, docker, fleet, inspectMembers, requireEngine, steadyLoad, up } from './harness.js';

t.test('add, docker kill and remove under load', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'chg', 3);
  await converged(d.name, 3);
  const load = steadyLoad(d.port, 4);
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await load.stop();
  });

  t.test('add converges on every member', async (t) => {
    const result = await fleet(['add', '--count', '2', '--name', d.name]);
    t.equal(result.code, 0, result.stderr);
    t.match(result.stdout, /added fleet-\S+ \(\d+\.\d+\.\d+\.\d+\)\nadded fleet-/, 'names the members it added');
    t.match(result.stdout, /now has 5 members/);
    const ips = await converged(d.name, 5, 10_000);
    t.equal(ips.length, 5, 'five members serve the same list');
  });

  t.test('a docker kill behind the daemon\'s back is replaced and converges', async (t) => {
    const before = await inspectMembers(d.name);
    const [victim] = before.keys();
    await docker('kill', victim);
    const ips = await converged(d.name, 5, 30_000);
    const after = await inspectMembers(d.name);
    t.notOk(after.has(victim), 'the killed container is gone');
    t.equal(ips.length, 5, 'a replacement restored the count');
  });

  t.test('docker rm -f behind the daemon\'s back is healed too', async (t) => {
    const [victim] = (await inspectMembers(d.name)).keys();
    await docker('rm', '-f', victim);
    await converged(d.name, 5, 30_000);
    t.notOk((await inspectMembers(d.name)).has(victim), 'the removed container stays gone');
  });

  t.test('remove converges on every member', async (t) => {
    const result = await fleet(['remove', '--count', '3', '--name', d.name]);
    t.equal(result.code, 0, result.stderr);
    t.equal(result.stdout.match(/^removed /gm)?.length, 3, 'names the three members it removed');
    const ips = await converged(d.name, 2, 10_000);
    t.equal(ips.length, 2);
  });

  t.test('removing the last member is refused', async (t) => {
    const result = await fleet(['remove', '--count', '2', '--name', d.name]);
    t.equal(result.code, 1);
    t.match(result.stderr, /^Error: cannot remove 2: fleet "\S+" has 2 members and keeps at least 1\n$/);
    t.equal((await inspectMembers(d.name)).size, 2, 'nothing was removed');
  });

  t.test('the load saw no failed request, and every answer listed its server', async (t) => {
    stopped = true;
    const { total, failures } = await load.stop();
    t.ok(total > 100, `the load ran (${total} requests)`);
    t.same(failures.slice(0, 10), [], `no failures among ${total} requests`);
  });
});

t.test('a member that stops answering health checks is replaced', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'hung', 2, ['--replace-after', '2000', '--health-timeout', '300']);
  await converged(d.name, 2);
  const [victim] = (await inspectMembers(d.name)).keys();
  // Freeze the nginx worker (kill -1 spares pid 1, the master; the exec runs as the
  // member's own user, which may signal its processes without CAP_KILL): the
  // container runs, the kernel accepts connections, nobody answers.
  await docker('exec', victim, 'sh', '-c', 'kill -s STOP -- -1');
  const ips = await converged(d.name, 2, 30_000);
  t.notOk((await inspectMembers(d.name)).has(victim), 'the hung member was removed');
  t.equal(ips.length, 2, 'and replaced');
  t.match(d.logs(), /member\.replacing/, 'the daemon said why');
});

t.test('a paused member no longer counts as running and is replaced', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'paused', 2);
  await converged(d.name, 2);
  const [victim] = (await inspectMembers(d.name)).keys();
  await docker('pause', victim);
  await converged(d.name, 2, 30_000);
  t.notOk((await inspectMembers(d.name)).has(victim), 'the paused member was removed and replaced');
});
