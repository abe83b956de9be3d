// `fleet up`'s progress, on the real engine: in a real pseudo-terminal (util-linux `script`)
// a line redrawn in place under the logs; through a pipe, plain lines with no carriage return.
import { spawn } from 'node:child_process';
import t from 'tap';
import { IMAGE, LAUNCHER, fleet, fleetName, freePort, registerCleanup, requireEngine } from './harness.js';

const REPLICAS = 4;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `command` until it says it serves, then `fleet down`; resolves to all it wrote. */
async function runUntilServing(command: string, args: string[], name: string): Promise<string> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const deadline = Date.now() + 120_000;
  while (!output.includes('serving http://') && Date.now() < deadline && child.exitCode === null) await sleep(50);
  await fleet(['down', '--name', name]);
  await Promise.race([exited, sleep(20_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
  return output;
}

function upArgs(name: string, port: number): string[] {
  return ['up', '--name', name, '--port', String(port), '--replicas', String(REPLICAS), '--image', IMAGE, '--health-interval', '500'];
}

const shellQuote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

t.test('on a terminal, the members ready are one line redrawn in place', async (t) => {
  if (!(await requireEngine(t))) return;
  const name = fleetName('ptty');
  registerCleanup(t, name);
  const command = [LAUNCHER, ...upArgs(name, await freePort())].map(shellQuote).join(' ');
  // script gives the command a pty for stdin, stdout and stderr, and copies what it writes.
  const output = await runUntilServing('script', ['-qfc', command, '/dev/null'], name);
  t.match(output, 'serving http://', `fleet up served:\n${output}`);
  for (let ready = 0; ready <= REPLICAS; ready++) {
    t.ok(output.includes(`] ${ready}/${REPLICAS} members ready\r`), `${ready}/${REPLICAS} was shown, the cursor back at column 0`);
  }
  const last = output.lastIndexOf(`${REPLICAS}/${REPLICAS} members ready`);
  t.ok(output.indexOf('\r\x1b[K', last) > last, 'the line is erased once every member is ready');
  // Every log line starts on a line of its own: after a newline, or after the progress was erased.
  const logStarts = [...output.matchAll(/\d{4}-\d\d-\d\dT[\d:.]+Z (INFO|DEBUG|WARNING|ERROR) /g)].map((m) => m.index);
  t.ok(logStarts.length > 0, 'the daemon logged');
  const broken = logStarts.filter((i) => i !== 0 && !(output.slice(0, i).endsWith('\n') || output.slice(0, i).endsWith('\r\x1b[K')));
  t.same(broken, [], 'no log line runs on after the progress');
});

t.test('through a pipe, progress is plain log lines with no carriage return', async (t) => {
  if (!(await requireEngine(t))) return;
  const name = fleetName('ppipe');
  registerCleanup(t, name);
  const output = await runUntilServing(LAUNCHER, upArgs(name, await freePort()), name);
  t.match(output, 'serving http://', `fleet up served:\n${output}`);
  t.notOk(output.includes('\r'), 'no carriage return');
  t.notOk(output.includes('members ready'), 'no terminal line');
  const ready = [...output.matchAll(/ INFO fleet\.progress ready=(\d+) desired=4\n/g)].map((m) => Number(m[1]));
  t.same(ready, [1, 2, 3, 4], 'a line at each quarter: 1, 2, 3 and 4 of 4');
});
