// scripts/swarm-lab.sh as a user runs it: three engines in network namespaces form a Swarm
// of three managers, a dnsrr service on an attachable overlay spreads over the nodes, a
// container on one node reaches every task on the others, and `down` leaves no namespace,
// link, iptables rule, mount or process behind. The lab has a name of this run's own.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { requireEngine } from '../../support.js';
import { labLeftovers } from '../../lab.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const LAB_SCRIPT = path.join(ROOT, 'scripts', 'swarm-lab.sh');
const IMAGE = process.env.FLEET_TEST_IMAGE ?? 'fleet-nginx:offline';
const LAB = `fl${process.pid.toString(36)}`.slice(0, 10);
const env = { ...process.env, FLEET_LAB: LAB, FLEET_LAB_SUBNET: `10.231.${100 + (process.pid % 100)}` };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function lab(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(LAB_SCRIPT, args, { env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
}

async function onNode(node: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, {
    env: { ...env, DOCKER_HOST: `unix:///run/${LAB}/${node}/docker.sock` },
    timeout: 120_000,
  });
  return stdout.trim();
}

t.test('a three-manager Swarm on one host, and nothing left after down', async (t) => {
  if (!(await requireEngine(t, [IMAGE], 'run "npm run image:offline"'))) return;
  if (process.getuid?.() !== 0) {
    if (process.env.CI) t.fail('the Swarm lab needs root (network namespaces)');
    else t.plan(0, 'skip: the Swarm lab needs root (network namespaces)');
    return;
  }
  let down = false;
  t.teardown(async () => {
    if (!down) await lab('down').catch(() => undefined);
  });

  await lab('up', IMAGE);

  const nodes = (await onNode('n1', 'node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}')).split('\n').sort();
  t.same(
    nodes,
    [`${LAB}-n1 Ready Leader`, `${LAB}-n2 Ready Reachable`, `${LAB}-n3 Ready Reachable`],
    'three nodes are ready, each a manager, n1 leading',
  );

  await onNode('n1', 'network', 'create', '--driver', 'overlay', '--attachable', 'labnet');
  await onNode(
    'n1', 'service', 'create', '--detach', '--quiet', '--name', 'members', '--replicas', '3',
    '--endpoint-mode', 'dnsrr', '--network', 'labnet', '--no-resolve-image', IMAGE,
  );
  let placed: string[] = [];
  for (const deadline = Date.now() + 180_000; Date.now() < deadline; await sleep(1_000)) {
    const tasks = await onNode('n1', 'service', 'ps', 'members', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}');
    placed = tasks.split('\n').filter((line) => / Running /.test(line)).map((line) => line.split(' ')[0]);
    if (placed.length === 3) break;
  }
  t.same([...placed].sort(), [`${LAB}-n1`, `${LAB}-n2`, `${LAB}-n3`], 'the three tasks run one on each node');

  // From a container on n1, over the overlay, every task answers (two of them on other nodes).
  const probe = await onNode(
    'n1', 'run', '--rm', '--network', 'labnet', IMAGE, 'bash', '-c',
    'for ip in $(getent ahostsv4 tasks.members | cut -d" " -f1 | sort -u); do ' +
      'exec 3<>/dev/tcp/$ip/8080 && printf "GET /healthz HTTP/1.0\\r\\n\\r\\n" >&3 && echo "$ip $(head -n 1 <&3)"; done',
  );
  const answers = probe.split('\n').filter(Boolean);
  t.equal(answers.length, 3, 'tasks.members resolves to the three tasks (dnsrr)');
  t.ok(answers.every((line) => / 200 OK/.test(line)), `each task answers over the overlay: ${answers.join('; ')}`);

  await lab('down');
  down = true;
  t.same(await labLeftovers(LAB), [], 'down leaves no namespace, link, rule, mount, process or folder');
});
