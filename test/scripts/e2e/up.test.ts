// `make up` runs scripts/up.sh in the foreground of a terminal; Ctrl-C sends SIGINT to the
// whole foreground process group: make, the script, its tee, the daemon, and the `tee` of
// `make up 2>&1 | tee up.log`. Whatever dies first, the fleet must end shut down cleanly.
import t from 'tap';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IMAGE, ROOT, docker, fleet, fleetName, freePort, registerCleanup, requireEngine } from '../../fleet/e2e/harness.js';
import { alive } from '../../fleet/e2e/proc.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

const cases = [
  // A terminal stands in as a file: it never goes away on Ctrl-C.
  { title: 'make up, then Ctrl-C', tag: 'us', pipeline: (up: string, log: string) => `${up} >'${log}' 2>&1`, whole: true },
  // The outer tee dies with the group: the daemon loses its reader and drops its lines.
  { title: 'make up 2>&1 | tee up.log, then Ctrl-C', tag: 'ut', pipeline: (up: string, log: string) => `set -o pipefail; ${up} 2>&1 | tee '${log}' >/dev/null`, whole: false },
  // `tee -i` ignores SIGINT, as the README advises: every line gets through.
  { title: 'make up 2>&1 | tee -i up.log, then Ctrl-C', tag: 'ui', pipeline: (up: string, log: string) => `set -o pipefail; ${up} 2>&1 | tee -i '${log}' >/dev/null`, whole: true },
];

for (const c of cases) {
  t.test(`${c.title}: the fleet shuts down cleanly`, async (t) => {
    if (!(await requireEngine(t))) return;
    const name = fleetName(c.tag);
    const port = await freePort();
    registerCleanup(t, name);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-upsh-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const log = path.join(dir, 'up.log');

    const up = `scripts/up.sh --name ${name} --port ${port} --image ${IMAGE} --health-interval 500`;
    // Its own session and process group, as a terminal's foreground job has.
    const shell = spawn('bash', ['-c', c.pipeline(up, log)], { cwd: ROOT, detached: true, stdio: 'ignore', env: { ...process.env, REPLICAS: '2' } });
    const pgid = shell.pid!;
    t.teardown(() => {
      if (alive(-pgid)) process.kill(-pgid, 'SIGKILL');
    });
    const output = (): string => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');
    t.ok(await until(() => output().includes('serving http://'), 120_000), 'the fleet serves', { output: output() });

    const status = await fleet(['status', '--json', '--name', name]);
    t.equal(status.code, 0, 'fleet status answers');
    const { pid } = JSON.parse(status.stdout) as { pid: number };

    process.kill(-pgid, 'SIGINT');
    t.ok(
      await until(() => !alive(-pgid), 90_000),
      'the daemon, the script, its tee and the pipeline all exit',
      { output: output() },
    );
    t.notOk(alive(pid), 'the daemon is gone');
    t.equal(await docker('ps', '-aq', '--filter', `label=io.fleet.name=${name}`), '', 'no container left');
    t.equal(await docker('network', 'ls', '-q', '--filter', `name=^fleet-${name}$`), '', 'no network left');
    if (c.whole) t.match(output(), /INFO fleet\.stopped /, "the daemon's shutdown lines get through");
  });
}
