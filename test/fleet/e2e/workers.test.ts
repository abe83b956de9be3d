// The balancer's worker processes on the real engine, under a steady load: a worker killed
// costs at most what it had in flight and is replaced; a hung one is found and replaced; a
// rolling restart fails no request; a primary killed and started again adopts its members
// and serves again.
import t from 'tap';
import { EXTRA_ACCEPTORS } from '../../../src/fleet/config.js';
import { listeningDescriptors } from './proc.js';
import { type Answer, converged, fleet, get, inspectMembers, requireEngine, startDaemon, steadyLoad, until, up } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface WorkerRow {
  slot: number;
  pid: number;
  state: string;
  restarts: number;
}

async function workers(name: string): Promise<WorkerRow[]> {
  const result = await fleet(['status', '--json', '--name', name]);
  return (JSON.parse(result.stdout) as { workers: WorkerRow[] }).workers;
}


t.test('two workers under load', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'wrk', 2, ['--workers', '2']);
  await converged(d.name, 2);
  const rows = await workers(d.name);
  t.equal(rows.length, 2, 'two workers serve');
  t.ok(
    rows.every((w) => w.state === 'serving' && w.pid !== d.child.pid),
    'each in a process of its own',
  );
  t.same(
    rows.map((w) => listeningDescriptors(w.pid, d.port)),
    [1 + EXTRA_ACCEPTORS, 1 + EXTRA_ACCEPTORS],
    `each accepts on the balancer's socket through ${1 + EXTRA_ACCEPTORS} descriptors (libuv accepts one connection per descriptor per turn)`,
  );

  t.test('a rolling restart fails no request', async (t) => {
    const before = new Set((await workers(d.name)).map((w) => w.pid));
    const traffic = steadyLoad(d.port, 4);
    await sleep(300);
    const result = await fleet(['reload', '--name', d.name]);
    t.equal(result.code, 0, result.stderr);
    await sleep(300);
    const { total, failures } = await traffic.stop();
    t.ok(total > 50, `the load ran (${total} requests)`);
    t.same(failures.slice(0, 5), [], `no request failed (${failures.length} of ${total})`);
    if (failures.length) console.error(d.logs().split('\n').filter((l) => /worker\./.test(l)).slice(0, 30).join('\n'));
    t.ok(await until(async () => (await workers(d.name)).filter((w) => w.state === 'serving').length === 2, 15_000), 'two workers serve again');
    const after = (await workers(d.name)).filter((w) => w.state === 'serving');
    t.ok(
      after.every((w) => !before.has(w.pid)),
      'both are new processes',
    );
    t.same(
      after.map((w) => listeningDescriptors(w.pid, d.port)),
      [1 + EXTRA_ACCEPTORS, 1 + EXTRA_ACCEPTORS],
      'and accept through as many descriptors',
    );
  });

  t.test('a killed worker costs at most what it had in flight, and is replaced', async (t) => {
    const clients = 4;
    const [victim] = await workers(d.name);
    const traffic = steadyLoad(d.port, clients);
    await sleep(300);
    process.kill(victim.pid, 'SIGKILL');
    await sleep(1_000);
    const { total, failures } = await traffic.stop();
    t.ok(total > 50, `the load ran (${total} requests)`);
    t.ok(failures.length <= clients, `at most one request per client failed: those in flight on it (${failures.length} failed: ${failures.slice(0, 3).join('; ')})`);
    t.ok(await until(async () => (await workers(d.name)).filter((w) => w.state === 'serving').length === 2, 10_000), 'two workers serve again');
    const replaced = (await workers(d.name)).find((w) => w.slot === victim.slot);
    t.ok(replaced && replaced.pid !== victim.pid && replaced.restarts > victim.restarts, 'its slot has a new worker, counted as a restart');
  });

  t.test('a hung worker is found and replaced while the other serves', async (t) => {
    const [victim] = await workers(d.name);
    process.kill(victim.pid, 'SIGSTOP');
    t.teardown(() => {
      try {
        process.kill(victim.pid, 'SIGCONT');
      } catch {
        // Already gone, as it should be.
      }
    });
    t.ok(await until(async () => (await workers(d.name)).every((w) => w.pid !== victim.pid), 15_000), 'the hung worker is killed');
    t.ok(await until(async () => (await workers(d.name)).filter((w) => w.state === 'serving').length === 2, 10_000), 'and replaced');
    t.match(d.logs(), /worker\.hung slot=\d+ pid=\d+/, 'the daemon said why');
  });
});

t.test('a primary killed and started again adopts its members and serves through them', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'prim', 2, ['--workers', '2']);
  const before = [...(await inspectMembers(d.name)).keys()].sort();
  const pids = (await workers(d.name)).map((w) => w.pid);
  d.child.kill('SIGKILL');
  await d.exited;
  t.ok(await until(async () => pids.every((pid) => !alive(pid)), 10_000), 'its workers end with it');
  const started = Date.now();
  const again = await startDaemon(d.name, d.port, 2, ['--workers', '2']);
  t.teardown(() => again.child.kill('SIGKILL'));
  let answer: Answer | undefined;
  while (Date.now() - started < 30_000) {
    answer = await get('127.0.0.1', d.port).catch(() => undefined);
    if (answer?.status === 200) break;
    await sleep(20);
  }
  t.equal(answer?.status, 200, 'the balancer answers again');
  t.comment(`serving again ${Date.now() - started} ms after fleet up was started`);
  t.same([...(await inspectMembers(d.name)).keys()].sort(), before, 'with the same members: adopted, not replaced');
  t.match(again.logs(), /member\.adopted/);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
