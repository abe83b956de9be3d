// The daemon's logs are an output, never a dependency: with its stderr a pipe (or a socket)
// whose reader exits, `fleet up` goes on serving, healing and answering the control socket,
// without spinning, and `fleet down` still removes everything.
import t from 'tap';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FLEET_BIN, IMAGE, converged, docker, fleet, fleetName, freePort, get, inspectMembers, registerCleanup, requireEngine } from './harness.js';
import { coreShare } from './proc.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface LogReader {
  /** The daemon's end, to pass as its stderr. */
  fd: number | 'pipe';
  /** Everything read so far. */
  text: () => string;
  /** The reader exits: the daemon's end is left with nobody reading. */
  close: () => void;
}

// A named pipe: what a shell gives `fleet up 2>&1 | tee up.log`. Opened non-blocking for
// reading first, so opening the writing end does not wait.
function fifoReader(dir: string): LogReader {
  const file = path.join(dir, 'stderr.fifo');
  fs.rmSync(file, { force: true });
  if (spawnSync('mkfifo', [file]).status !== 0) throw new Error(`mkfifo ${file} failed`);
  const readFd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writeFd = fs.openSync(file, 'w');
  const socket = new net.Socket({ fd: readFd, readable: true, writable: false });
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.on('error', () => undefined);
  return {
    fd: writeFd,
    text: () => text,
    close: () => socket.destroy(),
  };
}

interface Started {
  child: ChildProcess;
  stderr: LogReader;
}

// With no fifo, Node's own stdio pipe: a unix socket pair, read (and closed) here.
function socketReader(child: ChildProcess): LogReader {
  let text = '';
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('error', () => undefined);
  return { fd: 'pipe', text: () => text, close: () => child.stderr!.destroy() };
}

async function startWithStderr(name: string, port: number, fifo: LogReader | undefined): Promise<Started> {
  const fd = fifo?.fd ?? 'pipe';
  const child = spawn(
    process.execPath,
    [FLEET_BIN, 'up', '--name', name, '--port', String(port), '--replicas', '2', '--image', IMAGE, '--health-interval', '500', '--log-level', 'DEBUG', '--no-admin'],
    { stdio: ['ignore', 'pipe', fd] },
  );
  if (typeof fd === 'number') fs.closeSync(fd);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const reader = fifo ?? socketReader(child);
  const deadline = Date.now() + 120_000;
  while (!out.includes('serving http://')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`fleet up did not become ready:\n${out}\n${reader.text()}`);
    }
    await sleep(50);
  }
  return { child, stderr: reader };
}

const kinds: { kind: string; tag: string; fifo: boolean }[] = [
  { kind: 'a pipe', tag: 'lp', fifo: true },
  // A unix socket, as under systemd (journald), or Node's own child_process pipes.
  { kind: 'a socket', tag: 'ls', fifo: false },
];

for (const { kind, tag, fifo } of kinds) {
  t.test(`with its stderr ${kind} whose reader exits, the daemon keeps serving`, async (t) => {
    if (!(await requireEngine(t))) return;
    const name = fleetName(tag);
    const port = await freePort();
    registerCleanup(t, name);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-logpipe-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

    const d = await startWithStderr(name, port, fifo ? fifoReader(dir) : undefined);
    t.teardown(() => {
      if (d.child.exitCode === null) d.child.kill('SIGKILL');
    });
    const pid = d.child.pid!;
    await converged(name, 2);
    t.match(d.stderr.text(), /fleet\.ready/, 'the daemon logged to its stderr while it had a reader');

    d.stderr.close();
    // A member dies: the daemon logs the event, the state change and the replacement, every
    // line to a pipe nobody reads any more.
    const [victim] = [...(await inspectMembers(name)).keys()];
    await docker('kill', victim);
    await converged(name, 2);
    t.notOk((await inspectMembers(name)).has(victim), 'the killed member was replaced');

    const answers = await Promise.all(Array.from({ length: 20 }, () => get('127.0.0.1', port).then((a) => a.status, () => 0)));
    t.same(answers, Array(20).fill(200), 'the balancer answers every request');

    const status = await fleet(['status', '--json', '--name', name]);
    t.equal(status.code, 0, 'fleet status answers');
    t.equal((JSON.parse(status.stdout) as { members: unknown[] }).members.length, 2, 'and reports both members');

    // Coarse on purpose: a spin is a whole core, an idle daemon a few percent.
    const share = await coreShare(pid, 3_000);
    t.ok(share < 0.5, `the daemon is near idle (${(share * 100).toFixed(0)}% of a core over 3 s)`);

    const down = await fleet(['down', '--name', name]);
    t.equal(down.code, 0, 'fleet down succeeds');
    const code = await new Promise<number | null>((resolve) => (d.child.exitCode !== null ? resolve(d.child.exitCode) : d.child.once('exit', resolve)));
    t.equal(code, 0, 'the daemon exits cleanly');
    t.equal(await docker('ps', '-aq', '--filter', `label=io.fleet.name=${name}`), '', 'no container left');
    t.equal(await docker('network', 'ls', '-q', '--filter', `name=^fleet-${name}$`), '', 'no network left');
  });
}
