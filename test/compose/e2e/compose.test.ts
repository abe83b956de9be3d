// compose.yaml, proven: run end to end with Debian's docker-compose 1.29 on the images'
// offline twins (compose.offline.yaml): up, the balancer's list, `fleet add` in the daemon's
// container, the healthcheck, dkr-ls through `run --rm`, down, and nothing of it left. Each
// run has its own project, fleet name and balancer port; teardown removes what is left by label.
import t from 'tap';
import { OFFLINE_IMAGE } from '../../../src/fleet/config.js';
import { freePort, requireEngine } from '../../support.js';
import { RUN_ID, docker, fleetName, get, inspectMembers, lines, sortIps } from '../../fleet/e2e/harness.js';
import { BASE, OFFLINE, type Result, command, readCompose, requireCompose, said } from '../files.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const REPLICAS = 2;

t.test('docker-compose runs the fleet from compose.yaml on the offline twins, and down leaves nothing', async (t) => {
  const twins = Object.values(readCompose(OFFLINE).services).map((s) => s.image ?? '');
  if (!(await requireEngine(t, [...twins, OFFLINE_IMAGE], 'run "make image-twins image-offline"'))) return;
  if (!(await requireCompose(t))) return;
  const engine = process.env.DOCKER_HOST?.trim() || 'unix:///var/run/docker.sock';
  if (!engine.startsWith('unix://')) {
    const problem = `compose.yaml hands the engine over as a unix socket, and DOCKER_HOST is ${engine}`;
    if (process.env.CI) t.fail(problem);
    else t.plan(0, `skip: ${problem}`);
    return;
  }

  const started = Date.now();
  const project = `fleetcompose${RUN_ID}`;
  const name = fleetName('compose');
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FLEET_NAME: name,
    FLEET_PORT: String(port),
    FLEET_REPLICAS: String(REPLICAS),
    DOCKER_SOCKET: engine.slice('unix://'.length),
  };
  // The members' image is the one compose.offline.yaml names, not whatever this shell set.
  delete env.FLEET_IMAGE;
  delete env.COMPOSE_PROJECT_NAME;
  delete env.COMPOSE_FILE;
  const compose = (...args: string[]): Promise<Result> => command('docker-compose', ['-p', project, '-f', BASE, '-f', OFFLINE, ...args], env);
  const ids = async (...filters: string[]): Promise<string[]> => lines(await docker('ps', '-aq', ...filters.flatMap((f) => ['--filter', f])));
  const networks = async (...filters: string[]): Promise<string[]> => lines(await docker('network', 'ls', '-q', ...filters.flatMap((f) => ['--filter', f])));
  const byProject = `label=com.docker.compose.project=${project}`;

  // compose down stops the daemon first, so that it can't replace members while they go.
  t.teardown(async () => {
    await compose('down', '--remove-orphans', '--timeout', '60');
    const daemons = await ids(byProject);
    if (daemons.length) await docker('rm', '-f', ...daemons);
    const members = await ids(`label=io.fleet.name=${name}`);
    if (members.length) await docker('rm', '-f', ...members);
    for (const network of [`fleet-${name}`, ...(await networks(byProject))]) await docker('network', 'rm', network).catch(() => '');
  });

  const up = await compose('up', '-d');
  t.equal(up.code, 0, said('up -d succeeds', up));
  if (up.code !== 0) return;
  const [daemon] = lines((await compose('ps', '-q', 'fleet')).stdout);
  t.ok(daemon, 'the fleet service runs');
  if (!daemon) return;
  const daemonLogs = async (): Promise<string> => {
    const result = await compose('logs', '--no-color', 'fleet');
    return result.stdout + result.stderr;
  };

  /** Asks the balancer `rounds` times per member until every answer is Docker's `count` member IPs, from each member. */
  const everyMemberServes = async (count: number): Promise<string[]> => {
    const deadline = Date.now() + 120_000;
    let last = '';
    while (Date.now() < deadline) {
      const ips = sortIps((await inspectMembers(name)).values());
      if (ips.length === count) {
        const want = ips.map((ip) => `${ip}\n`).join('');
        const servedBy = new Set<string>();
        let wrong = '';
        for (let i = 0; i < count * 3; i++) {
          const answer = await get('127.0.0.1', port).catch((e: Error) => ({ status: 0, body: e.message, servedBy: '' }));
          if (answer.status === 200 && answer.body === want) servedBy.add(answer.servedBy);
          else wrong = `${answer.servedBy || 'the balancer'} answered ${answer.status} ${JSON.stringify(answer.body)}`;
        }
        if (!wrong && ips.every((ip) => servedBy.has(ip))) return ips;
        last = wrong || `only ${[...servedBy].join(',')} of ${ips.join(',')} answered`;
      } else last = `${ips.length} running members, want ${count}`;
      await sleep(250);
    }
    throw new Error(`fleet ${name} on :${port}: ${last}\n${await daemonLogs()}`);
  };

  t.test(`the balancer on FLEET_PORT serves the list of FLEET_REPLICAS (${REPLICAS}) members`, async (t) => {
    const ips = await everyMemberServes(REPLICAS);
    t.equal(ips.length, REPLICAS, `every member, asked through :${port}, lists the ${REPLICAS} running members' IPs`);
  });

  t.test('exec fleet fleet add grows the list on every member', async (t) => {
    const before = sortIps((await inspectMembers(name)).values());
    const add = await compose('exec', '-T', 'fleet', 'fleet', 'add', '--name', name);
    t.equal(add.code, 0, said("fleet add in the daemon's container succeeds", add));
    t.match(add.stdout, new RegExp(`now has ${REPLICAS + 1} members`), 'it says the fleet\'s new size');
    const ips = await everyMemberServes(REPLICAS + 1);
    t.ok(before.every((ip) => ips.includes(ip)), `the first ${REPLICAS} are still there, and every member serves all ${REPLICAS + 1} IPs`);
  });

  t.test('the service\'s healthcheck (fleet status) reports healthy', async (t) => {
    const deadline = Date.now() + 90_000;
    let health = '';
    while (Date.now() < deadline) {
      health = await docker('inspect', '--format', '{{if .State.Health}}{{.State.Health.Status}}{{end}}', daemon);
      if (health === 'healthy' || health === 'unhealthy') break;
      await sleep(500);
    }
    t.equal(health, 'healthy', `the daemon's container is healthy ${health === 'healthy' ? '' : await docker('inspect', '--format', '{{json .State.Health}}', daemon)}`);
  });

  t.test('run --rm dkr-ls tags prints the engine\'s images', async (t) => {
    const tags = await compose('run', '--rm', 'dkr-ls', 'tags');
    t.equal(tags.code, 0, said('dkr-ls tags succeeds', tags));
    const rows = lines(tags.stdout).map((line) => line.split(/\s{2,}/));
    t.same(rows[0], ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], 'the header is docker images\'s');
    const [repository, tag] = OFFLINE_IMAGE.split(':');
    t.ok(rows.some((row) => row[0] === repository && row[1] === tag), `a row is the members' image ${OFFLINE_IMAGE}`);
    t.ok(twins.every((image) => rows.some((row) => `${row[0]}:${row[1]}` === image)), `rows for ${twins.join(' and ')}`);
  });

  t.test('down: no member, no fleet network and nothing of the project is left', async (t) => {
    const down = await compose('down', '--timeout', '60');
    t.equal(down.code, 0, said('down succeeds', down));
    t.same(await ids(`label=io.fleet.name=${name}`), [], 'no member container');
    t.same(await networks(`name=^fleet-${name}$`), [], `no network fleet-${name}`);
    t.same(await ids(byProject), [], 'no container of the project (the daemon, dkr-ls\'s run)');
    t.same(await networks(byProject), [], 'no network of the project');
    t.same(lines(await docker('volume', 'ls', '-q', '--filter', byProject)), [], 'no volume of the project');
    t.comment(`compose up → list → add → dkr-ls → down in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
