// The primary's process-wide settings: how workers are forked, and a bug nobody caught, which
// ends the primary as it ends a worker (logged on one line, an orderly stop, exit 70).
import cluster from 'node:cluster';
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { BUG_EXIT_CODE } from '../../src/fleet/config.js';
import { setUpCluster, workerScript } from '../../src/fleet/primary-process.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'primary-bug.ts');

function runPrimary(kind: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // The test's own loader flags run the TypeScript fixture.
    const child = spawn(process.execPath, [...process.execArgv, FIXTURE, kind], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('a bug nobody caught: one log line, an orderly stop, exit 70', async (t) => {
  const cases: { kind: string; event: string; message: string; lines: RegExp[] }[] = [
    { kind: 'throw', event: 'bug.uncaught', message: 'a bug in the primary', lines: [/ INFO test\.stopping/, / INFO test\.stopped/] },
    { kind: 'reject', event: 'bug.unhandled_rejection', message: 'nobody waited for this', lines: [/ INFO test\.stopping/, / INFO test\.stopped/] },
    { kind: 'twice', event: 'bug.uncaught', message: 'a bug in the primary', lines: [/ INFO test\.stopping/, / ERROR bug\.unhandled_rejection error=again /] },
  ];
  // Each child compiles the fixture: they run side by side.
  const runs = await Promise.all(cases.map((c) => runPrimary(c.kind)));
  for (const [i, c] of cases.entries()) {
    const { code, stdout, stderr } = runs[i];
    const lines = stderr.split('\n').filter(Boolean);
    t.equal(code, BUG_EXIT_CODE, `${c.kind}: the primary exits ${BUG_EXIT_CODE}`);
    t.match(lines[0], new RegExp(`^\\S+ ERROR ${c.event.replace('.', '\\.')} error="${c.message}" action=`), `${c.kind}: the bug is the first line, its error a field`);
    c.lines.forEach((line, i) => t.match(lines[i + 1], line, `${c.kind}: then ${line.source}`));
    t.equal(lines.length, 1 + c.lines.length, `${c.kind}: nothing else`);
    t.notMatch(stderr, /^\s+at /m, `${c.kind}: no stack trace`);
    t.equal(stdout, '', `${c.kind}: nothing on stdout`);
  }
});

t.test('the cluster is set up once, by the entry', async (t) => {
  const before = process.env.FLEET_WORKER_SCRIPT;
  t.teardown(() => {
    if (before === undefined) delete process.env.FLEET_WORKER_SCRIPT;
    else process.env.FLEET_WORKER_SCRIPT = before;
  });
  process.env.FLEET_WORKER_SCRIPT = '/opt/fleet/dist/fleet-worker.cjs';
  t.equal(workerScript(), '/opt/fleet/dist/fleet-worker.cjs', 'FLEET_WORKER_SCRIPT names the worker bundle');
  delete process.env.FLEET_WORKER_SCRIPT;
  t.equal(path.basename(workerScript()), 'fleet-worker.cjs', 'otherwise the bundle beside this one');
  setUpCluster('/opt/fleet/dist/fleet-worker.cjs');
  t.equal(cluster.settings.exec, '/opt/fleet/dist/fleet-worker.cjs', 'workers are forked from the bundle');
  t.equal(cluster.schedulingPolicy, cluster.SCHED_NONE, 'and accept for themselves');
});
