// `fleet up` in a terminal that closes (its window shut, an ssh session dropped): the kernel
// sends SIGHUP and every later write to the terminal fails with EIO. The daemon keeps serving
// (it is not the terminal's to stop) and `fleet down` still removes everything.
import t from 'tap';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { FLEET_BIN, IMAGE, converged, docker, fleet, fleetName, freePort, get, inspectMembers, registerCleanup, requireEngine } from './harness.js';
import { alive, coreShare } from './proc.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Runs the command in a session of its own whose controlling terminal is a new pty, shows
// what it writes until it serves, closes the terminal when told, and reports its exit.
const SESSION = `
import fcntl, os, pty, select, subprocess, sys, termios
master, slave = pty.openpty()
def take_terminal():
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
child = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=slave, stderr=slave, start_new_session=True, preexec_fn=take_terminal)
os.close(slave)
print(child.pid, flush=True)
seen = b''
while b'serving http://' not in seen:
    ready, _, _ = select.select([master], [], [], 120)
    try:
        chunk = os.read(master, 65536) if ready else b''
    except OSError:
        chunk = b''
    if not chunk:
        print('failed ' + seen.decode(errors='replace').replace('\\n', ' | '), flush=True)
        sys.exit(1)
    seen += chunk
print('ready', flush=True)
sys.stdin.readline()
os.close(master)
print('closed', flush=True)
print(child.wait(), flush=True)
`;

t.test('when its terminal closes, the daemon logs SIGHUP and keeps serving', async (t) => {
  if (!(await requireEngine(t))) return;
  const name = fleetName('hup');
  const port = await freePort();
  registerCleanup(t, name);
  const session = spawn(
    'python3',
    ['-c', SESSION, process.execPath, FLEET_BIN, 'up', '--name', name, '--port', String(port), '--replicas', '2', '--image', IMAGE, '--health-interval', '500', '--log-level', 'DEBUG', '--no-admin'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines: AsyncIterator<string> = readline.createInterface({ input: session.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const result = await lines.next();
    return result.done === true ? 'the session helper exited' : result.value;
  };
  const pid = Number(await next());
  t.teardown(() => {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    session.kill();
  });
  t.equal(await next(), 'ready', 'fleet up serves in the terminal');
  await converged(name, 2);

  session.stdin.write('hangup\n');
  t.equal(await next(), 'closed', 'the terminal is closed');
  await sleep(500);
  t.ok(alive(pid), 'the daemon outlives SIGHUP');

  // A member dies: the daemon logs the event and the replacement to a terminal that is gone.
  const [victim] = [...(await inspectMembers(name)).keys()];
  await docker('kill', victim);
  await converged(name, 2);
  t.notOk((await inspectMembers(name)).has(victim), 'the killed member was replaced');
  const answers = await Promise.all(Array.from({ length: 20 }, () => get('127.0.0.1', port).then((a) => a.status, () => 0)));
  t.same(answers, Array(20).fill(200), 'the balancer answers every request');
  t.equal((await fleet(['status', '--name', name])).code, 0, 'fleet status answers');
  const share = await coreShare(pid, 3_000);
  t.ok(share < 0.5, `the daemon is near idle (${(share * 100).toFixed(0)}% of a core over 3 s)`);

  t.equal((await fleet(['down', '--name', name])).code, 0, 'fleet down succeeds');
  t.equal(await next(), '0', 'the daemon exits cleanly');
  t.equal(await docker('ps', '-aq', '--filter', `label=io.fleet.name=${name}`), '', 'no container left');
  t.equal(await docker('network', 'ls', '-q', '--filter', `name=^fleet-${name}$`), '', 'no network left');
});
