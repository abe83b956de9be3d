// compose.yaml, proven. Valid for Compose v2 (the Compose Specification's schema, which
// `docker compose` validates with, vendored here: README.md) and for v1 (`docker-compose
// config -q`); then run end to end with Debian's docker-compose 1.29 on the images' offline
// twins (compose.offline.yaml): up, the balancer's list, `fleet add` in the daemon's
// container, dkr-ls through `run --rm`, down, and nothing of it left. Each run has its own
// project, fleet name and balancer port; teardown removes what is left by label.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import t from 'tap';
import { parse } from 'yaml';
import { OFFLINE_IMAGE } from '../../src/fleet/config.js';
import { type Tap, freePort, requireEngine } from '../support.js';
import { RUN_ID, ROOT, docker, fleetName, get, inspectMembers, lines, sortIps } from '../fleet/e2e/harness.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const BASE = path.join(ROOT, 'compose.yaml');
const OFFLINE = path.join(ROOT, 'compose.offline.yaml');
const REPLICAS = 2;

interface Service {
  image?: string;
  command?: string[];
  [key: string]: unknown;
}
interface ComposeFile {
  services: Record<string, Service>;
}

function readCompose(file: string): ComposeFile {
  return parse(fs.readFileSync(file, 'utf8')) as ComposeFile;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** What a command's assertion says: its stderr only when it failed. */
function said(what: string, result: Result): string {
  return result.code === 0 ? what : `${what} (exit ${result.code}: ${result.stderr.trim()})`;
}

async function command(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 180_000): Promise<Result> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: ROOT, env, timeout, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr || e.message };
  }
}

/** True when docker-compose runs; false after failing (CI) or skipping the test, as requireEngine does. */
async function requireCompose(t: Tap): Promise<boolean> {
  const result = await command('docker-compose', ['version', '--short'], process.env, 30_000);
  if (result.code === 0) return true;
  const problem = `docker-compose does not run (${result.stderr.trim().split('\n')[0]}); scripts/ensure-tools.sh installs it`;
  if (process.env.CI) t.fail(problem);
  else t.plan(0, `skip: ${problem}`);
  return false;
}

t.test('compose.yaml and compose.offline.yaml are valid Compose Specification files (Compose v2)', async (t) => {
  const schema = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'compose-spec.json'), 'utf8')) as object;
  // Ajv's strictTypes is a style check on schemas (union types, a oneOf branch without
  // "type": "object"); the spec's schema is valid JSON Schema without it. Unknown keywords
  // and formats still fail the compile.
  const validate = new Ajv2020({ allErrors: true, strictTypes: false }).compile(schema);
  for (const file of [BASE, OFFLINE]) {
    const ok = validate(readCompose(file));
    t.ok(ok, `${path.basename(file)} matches the schema ${ok ? '' : JSON.stringify(validate.errors)}`);
  }

  const broken: [string, (file: ComposeFile) => void][] = [
    ['a misspelt service key', (f) => (f.services.fleet.imagee = 'fleet:latest')],
    ['a healthcheck that is a number', (f) => (f.services.fleet.healthcheck = { test: 5 })],
    ['a top-level key Compose does not know', (f) => Object.assign(f, { servces: {} })],
  ];
  for (const [what, mutate] of broken) {
    const file = readCompose(BASE);
    mutate(file);
    t.notOk(validate(file), `the schema rejects ${what}`);
  }
});

t.test('compose.offline.yaml repeats compose.yaml\'s daemon command, only the members\' image changed', async (t) => {
  const base = readCompose(BASE).services.fleet.command ?? [];
  const offline = readCompose(OFFLINE).services.fleet.command ?? [];
  const at = base.indexOf('--image') + 1;
  t.ok(at > 0, 'compose.yaml names the members\' image');
  t.equal(offline[at], `\${FLEET_IMAGE:-${OFFLINE_IMAGE}}`, `the override's members default to ${OFFLINE_IMAGE}`);
  t.same(offline.map((arg, i) => (i === at ? base[at] : arg)), base, 'every other argument is the same');
});

t.test('docker-compose 1.29 reads both files (config -q)', async (t) => {
  if (!(await requireCompose(t))) return;
  for (const files of [[BASE], [BASE, OFFLINE]]) {
    const result = await command('docker-compose', [...files.flatMap((f) => ['-f', f]), 'config', '-q']);
    t.equal(result.code, 0, said(`${files.map((f) => path.basename(f)).join(' + ')} is valid`, result));
  }
});

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
