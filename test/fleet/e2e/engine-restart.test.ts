// An engine restart under the daemon, on an engine of this test's own (restarting the
// shared one would disturb every other test). With --live-restore the members keep running
// while dockerd is gone: the balancer must not fail a request meanwhile, and the sessions
// and the event stream must come back by themselves. When the members die while the engine
// is away (killed here, as a host crash or an engine without --live-restore would), the
// daemon must replace them once the engine answers again.
import t from 'tap';
import { converged, docker, fleet, get, inspectMembers, lines, onPrivateEngine, up } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

t.test('an engine restart with --live-restore: no request fails, and the fleet follows changes again', async (t) => {
  const engine = await onPrivateEngine(t);
  if (!engine) return;
  const d = await up(t, 'live', 2);
  await converged(d.name, 2);

  let running = true;
  let total = 0;
  const failures: string[] = [];
  const load = (async () => {
    while (running) {
      try {
        const answer = await get('127.0.0.1', d.port);
        if (answer.status !== 200 || !lines(answer.body).includes(answer.servedBy)) failures.push(`${answer.status} ${answer.body.trim()}`);
      } catch (error) {
        failures.push((error as Error).message);
      }
      total++;
    }
  })();
  await sleep(300);
  await engine.outage();
  await sleep(1_000);
  running = false;
  await load;
  t.ok(total > 50, `the load ran through the restart (${total} requests)`);
  t.same(failures.slice(0, 5), [], 'no request failed while the engine was away');

  const result = await fleet(['add', '--name', d.name]);
  t.equal(result.code, 0, `fleet add works after the restart ${result.stderr}`);
  await converged(d.name, 3, 30_000);
  t.match(d.logs(), /events\.(connected|dropped)/, 'the event stream was followed again');
  const status = JSON.parse((await fleet(['status', '--json', '--name', d.name])).stdout) as { members: { inSync: boolean }[] };
  t.ok(
    status.members.length === 3 && status.members.every((m) => m.inSync),
    'every member holds the current list',
  );
});

t.test('members that die while the engine is away are replaced once it is back', async (t) => {
  const engine = await onPrivateEngine(t);
  if (!engine) return;
  const d = await up(t, 'cold', 2);
  const before = new Set((await inspectMembers(d.name)).keys());
  const pids = (await docker('inspect', '--format', '{{.State.Pid}}', ...before)).split('\n');
  await engine.outage(async () => {
    for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
  });
  const ips = await converged(d.name, 2, 60_000);
  t.equal(ips.length, 2, 'two members serve the whole list again');
  const after = [...(await inspectMembers(d.name)).keys()];
  t.ok(
    after.every((id) => !before.has(id)),
    'both are replacements',
  );
  t.equal((await get('127.0.0.1', d.port)).status, 200, 'the balancer answers through them');
});
