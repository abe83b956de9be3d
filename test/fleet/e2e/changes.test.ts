// Membership changes under a steady load: add, docker kill and remove must each
// converge on every member, and not one request may fail on the way.
// Every subtest stands alone (run any one with --grep): the change tests share one fleet,
// brought up by whichever of them runs first, and each first sets the size it starts from,
// whatever an earlier one left; each runs its own load around its own change.
import tap, { type Test } from 'tap';
import { type Daemon, converged, docker, fleet, inspectMembers, requireEngine, steadyLoad, up } from './harness.js';
import type { Tap } from '../../support.js';

let shared: Promise<Daemon> | undefined;

/** The shared fleet at `count` converged members, or undefined where no engine runs. */
async function fleetOf(t: Tap, count: number): Promise<Daemon | undefined> {
  if (!(await requireEngine(t))) return undefined;
  // Torn down with the file (the root's teardown), not with the subtest that started it.
  shared ??= up(tap, 'chg', count);
  const d = await shared;
  const { desired } = JSON.parse((await fleet(['status', '--json', '--name', d.name])).stdout) as { desired: number };
  if (desired !== count) {
    const result = await fleet([desired < count ? 'add' : 'remove', '--count', String(Math.abs(count - desired)), '--name', d.name]);
    if (result.code !== 0) throw new Error(`the shared fleet could not go from ${desired} to ${count} members: ${result.stderr}`);
  }
  await converged(d.name, count);
  return d;
}

/** Runs `change` under a load of 4 clients; the load must see no failed request. */
async function underLoad(t: Test, d: Daemon, change: () => Promise<void>): Promise<void> {
  const load = steadyLoad(d.port, 4);
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await load.stop();
  });
  await change();
  stopped = true;
  const { total, failures } = await load.stop();
  t.ok(total > 0, `the load ran (${total} requests)`);
  t.same(failures.slice(0, 10), [], `no failures among ${total} requests, and every answer listed its server`);
}

tap.test('add converges on every member', async (t) => {
  const d = await fleetOf(t, 3);
  if (!d) return;
  await underLoad(t, d, async () => {
    const result = await fleet(['add', '--count', '2', '--name', d.name]);
    t.equal(result.code, 0, result.stderr);
    t.match(result.stdout, /added fleet-\S+ \(\d+\.\d+\.\d+\.\d+\)\nadded fleet-/, 'names the members it added');
    t.match(result.stdout, /now has 5 members/);
    const ips = await converged(d.name, 5, 10_000);
    t.equal(ips.length, 5, 'five members serve the same list');
  });
});

tap.test('a docker kill behind the daemon\'s back is replaced and converges', async (t) => {
  const d = await fleetOf(t, 3);
  if (!d) return;
  await underLoad(t, d, async () => {
    const [victim] = (await inspectMembers(d.name)).keys();
    await docker('kill', victim);
    const ips = await converged(d.name, 3, 30_000);
    t.notOk((await inspectMembers(d.name)).has(victim), 'the killed container is gone');
    t.equal(ips.length, 3, 'a replacement restored the count');
  });
});

tap.test('docker rm -f behind the daemon\'s back is healed too', async (t) => {
  const d = await fleetOf(t, 3);
  if (!d) return;
  await underLoad(t, d, async () => {
    const [victim] = (await inspectMembers(d.name)).keys();
    await docker('rm', '-f', victim);
    await converged(d.name, 3, 30_000);
    t.notOk((await inspectMembers(d.name)).has(victim), 'the removed container stays gone');
  });
});

tap.test('remove converges on every member', async (t) => {
  const d = await fleetOf(t, 5);
  if (!d) return;
  await underLoad(t, d, async () => {
    const result = await fleet(['remove', '--count', '3', '--name', d.name]);
    t.equal(result.code, 0, result.stderr);
    t.equal(result.stdout.match(/^removed /gm)?.length, 3, 'names the three members it removed');
    const ips = await converged(d.name, 2, 10_000);
    t.equal(ips.length, 2);
  });
});

tap.test('removing the last member is refused', async (t) => {
  const d = await fleetOf(t, 2);
  if (!d) return;
  const result = await fleet(['remove', '--count', '2', '--name', d.name]);
  t.equal(result.code, 1);
  t.match(result.stderr, /^Error: cannot remove 2: fleet "\S+" has 2 members and keeps at least 1\n$/);
  t.equal((await inspectMembers(d.name)).size, 2, 'nothing was removed');
});

tap.test('a member that stops answering health checks is replaced', async (t) => {
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

tap.test('a paused member no longer counts as running and is replaced', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'paused', 2);
  await converged(d.name, 2);
  const [victim] = (await inspectMembers(d.name)).keys();
  await docker('pause', victim);
  await converged(d.name, 2, 30_000);
  t.notOk((await inspectMembers(d.name)).has(victim), 'the paused member was removed and replaced');
});
