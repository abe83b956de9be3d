// deploy/fleet.service is a unit systemd accepts as written: systemd-analyze verifies a copy
// whose ExecStart points at this checkout's launcher (the unit's own path, /opt/fleet, need
// not exist here). What the unit promises about restarts is checked by reading it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..', '..');
const unit = fs.readFileSync(path.join(root, 'deploy', 'fleet.service'), 'utf8');

function setting(key: string): string[] {
  return unit
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

t.test('the unit restarts the daemon on any exit, soon, and stops it the way fleet down does', async (t) => {
  t.same(setting('Restart'), ['always']);
  t.same(setting('RestartSec'), ['200ms']);
  t.same(setting('KillMode'), ['mixed'], 'SIGTERM to the daemon alone: it retires its workers itself');
  t.same(setting('ExecReload'), ['/bin/kill -HUP $MAINPID'], 'systemctl reload is a rolling restart of the workers');
  t.match(setting('ExecStart')[0], /^\/opt\/fleet\/bin\/fleet up /);
  t.same(setting('Environment'), ['FLEET_RUN_DIR=/run/fleet']);
  t.same(setting('RuntimeDirectory'), ['fleet']);
});

t.test('systemd-analyze verify accepts it', async (t) => {
  const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => fs.existsSync(p));
  if (!analyze) {
    if (process.env.CI === 'true') t.fail('systemd-analyze is missing (Debian package systemd)');
    else t.comment('skipped: systemd-analyze is missing');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-unit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const copy = path.join(dir, 'fleet.service');
  fs.writeFileSync(copy, unit.replaceAll('/opt/fleet/', `${root}/`));
  const { stdout, stderr } = await run(analyze, ['verify', copy]).catch((e: { stdout: string; stderr: string }) => e);
  // Only this unit's own findings count: the host's other units are not ours to judge.
  const ours = `${stdout}${stderr}`.split('\n').filter((l) => l.includes('fleet.service'));
  t.same(ours, [], 'no finding about fleet.service');
});
