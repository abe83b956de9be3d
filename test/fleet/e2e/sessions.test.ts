// Lists through long-lived exec sessions, on the real engine: every member runs a reader,
// changes reach members through it, and a killed reader, a restarted member and a dead
// member all heal; after a docker kill the survivors drop the dead address before its
// replacement is listed.
import t from 'tap';
import { converged, docker, fleet, get, inspectMembers, lines, requireEngine, sortIps, until, up } from './harness.js';
import { MEMBER_PORT } from '../../../src/fleet/config.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The pids of the list readers running in a member, as `docker top` shows them. */
async function readers(id: string): Promise<string[]> {
  const top = await docker('top', id, '-eo', 'pid,args');
  return top
    .split('\n')
    .filter((line) => line.includes('fleet-set-members --follow'))
    .map((line) => line.trim().split(/\s+/)[0]);
}


t.test('lists travel through one session per member', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'sess', 2);
  await converged(d.name, 2);

  t.test('every member runs exactly one reader', async (t) => {
    for (const id of (await inspectMembers(d.name)).keys()) t.equal((await readers(id)).length, 1, `${id.slice(0, 12)} has one reader`);
  });

  t.test('a change reaches every member through its session', async (t) => {
    const result = await fleet(['add', '--name', d.name]);
    t.equal(result.code, 0, result.stderr);
    await converged(d.name, 3, 15_000);
    t.match(d.logs(), /list\.converged generation=\d+ cause=scale members=3 ms=\d+ bySession=3 byExec=0/, 'all three written by session, none by one-shot exec');
    const status = JSON.parse((await fleet(['status', '--json', '--name', d.name])).stdout) as { members: { inSync: boolean }[] };
    t.ok(
      status.members.every((m) => m.inSync),
      'status says every member holds the current list',
    );
  });

  t.test('a reader killed inside its member is replaced, and the member still follows changes', async (t) => {
    const [victim] = (await inspectMembers(d.name)).keys();
    const [pid] = await readers(victim);
    // As the member's own user (members have no CAP_KILL): find the reader in /proc and kill it.
    const script = [
      'for p in /proc/[0-9]*; do',
      '  [ "${p#/proc/}" = "$$" ] && continue',
      '  args=$(tr "\\0" "\\n" <"$p/cmdline" 2>/dev/null | sed -n 2,3p | tr "\\n" " ")',
      '  [ "$args" = "/usr/local/bin/fleet-set-members --follow " ] && kill "${p#/proc/}"',
      'done',
      'true',
    ].join('\n');
    await docker('exec', victim, 'sh', '-c', script);
    t.ok(await until(async () => (await readers(victim)).some((p) => p !== pid), 10_000), 'a new reader runs');
    const result = await fleet(['remove', '--name', d.name]);
    t.equal(result.code, 0, result.stderr);
    const ips = await converged(d.name, 2, 15_000);
    t.equal(ips.length, 2, 'the change reached every member, the one whose reader was killed included');
  });

  t.test('a member restarted behind the daemon serves the list again', async (t) => {
    const [victim] = (await inspectMembers(d.name)).keys();
    // Back within the daemon's grace period it is kept and its (empty) list refilled; later,
    // it has been replaced: either way the fleet heals. The choice is tested in the controller's tests.
    await docker('restart', '-t', '0', victim).catch((error: Error) => t.comment(`docker restart: ${error.message.split('\n')[0]}`));
    const ips = await converged(d.name, 2, 30_000);
    t.equal(ips.length, 2, 'two members serve the whole list');
    const kept = (await inspectMembers(d.name)).has(victim);
    t.comment(kept ? 'the restarted member was kept' : 'the restarted member was replaced');
    const status = JSON.parse((await fleet(['status', '--json', '--name', d.name])).stdout) as { members: { inSync: boolean; session: string }[] };
    t.ok(
      status.members.every((m) => m.inSync && m.session === 'open'),
      'every member holds the current list through an open session',
    );
  });
});

t.test('after a docker kill the survivors drop the dead address before its replacement is listed', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'kill', 3);
  const before = await converged(d.name, 3);
  const members = await inspectMembers(d.name);
  const [victim, ...rest] = members.keys();
  const dead = members.get(victim)!;
  const survivors = rest.map((id) => members.get(id)!);
  const without = sortIps(before.filter((ip) => ip !== dead));
  // Every list each survivor served, in order, polled every few milliseconds.
  const seen = new Map(survivors.map((ip) => [ip, [] as string[]]));
  let polling = true;
  const pollers = survivors.map(async (ip) => {
    while (polling) {
      const answer = await get(ip, MEMBER_PORT).catch(() => undefined);
      const list = answer ? lines(answer.body).join(',') : '';
      const history = seen.get(ip)!;
      if (history[history.length - 1] !== list) history.push(list);
      await sleep(5);
    }
  });
  await docker('kill', victim);
  const after = await converged(d.name, 3, 30_000);
  polling = false;
  await Promise.all(pollers);
  for (const ip of survivors) {
    const history = seen.get(ip)!;
    const final = history.indexOf(after.join(','));
    const dropped = history.indexOf(without.join(','));
    if (after.includes(dead)) {
      // Docker gave the replacement the dead member's address: the list may not change at all.
      t.pass(`${ip}: the replacement took the dead address; nothing to drop`);
      continue;
    }
    t.ok(dropped >= 0, `${ip} served the list without the dead member (${history.join(' | ')})`);
    t.ok(dropped < final, `${ip} served it before the list with the replacement`);
  }
});
