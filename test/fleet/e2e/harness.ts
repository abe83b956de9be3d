// Shared by the end-to-end tests: a real daemon (the built bin) on the real engine,
// with the stand-in member image. Each fleet gets a name unique to this run, which is
// the label on everything it creates; teardown removes all of it even when a test fails.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import tap from 'tap';
import { MEMBER_PORT } from '../../../src/fleet/config.js';
import { type Tap, freePort, requireEngine as requireDocker } from '../../support.js';
import { type PrivateEngine, startPrivateEngine } from './private-engine.js';

export { freePort };

const run = promisify(execFile);

export const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
export const FLEET_BIN = path.join(ROOT, 'dist', 'fleet.cjs');
/** What users run: raises the open-files limit, then runs dist/fleet.cjs. FLEET_TEST_LAUNCHER runs the daemon tests against another build. */
export const LAUNCHER = process.env.FLEET_TEST_LAUNCHER ?? path.join(ROOT, 'bin', 'fleet');
export const IMAGE = process.env.FLEET_TEST_IMAGE ?? 'fleet-nginx:offline';
export const RUN_ID = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;

/** True when the engine and the stand-in image are there; a failure in CI, a skip elsewhere. */
export function requireEngine(t: Tap): Promise<boolean> {
  return requireDocker(t, [IMAGE], 'run "npm run image:offline"');
}

export function fleetName(tag: string): string {
  return `t${RUN_ID}${tag}`.slice(0, 30);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function fleet(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [FLEET_BIN, ...args], { env: { ...process.env, ...env }, timeout: 180_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { timeout: 60_000 });
  return stdout.trim();
}

/** Running members of a fleet, as Docker reports them: id to IP on the fleet's network. */
export async function inspectMembers(name: string): Promise<Map<string, string>> {
  // A member can go between `ps` and `inspect` while the daemon heals: ask again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await listMembers(name);
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

async function listMembers(name: string): Promise<Map<string, string>> {
  const ids = (await docker('ps', '-q', '--no-trunc', '--filter', `label=io.fleet.name=${name}`)).split('\n').filter(Boolean);
  const members = new Map<string, string>();
  if (ids.length === 0) return members;
  const lines = await docker('inspect', '--format', `{{.Id}} {{(index .NetworkSettings.Networks "fleet-${name}").IPAddress}}`, ...ids);
  for (const line of lines.split('\n')) {
    const [id, ip] = line.split(' ');
    if (ip) members.set(id, ip);
  }
  return members;
}

export function sortIps(ips: Iterable<string>): string[] {
  return [...ips].sort((a, b) => {
    const pa = a.split('.').map(Number);
    const pb = b.split('.').map(Number);
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
    return 0;
  });
}

export interface Answer {
  status: number;
  body: string;
  servedBy: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
// Pooled connections would keep the test process alive after its last test.
tap.teardown(() => agent.destroy());

export function get(host: string, port: number, pathname = '/'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: pathname, agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, servedBy: String(res.headers['x-served-by'] ?? '') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export function lines(body: string): string[] {
  return body.split('\n').filter(Boolean);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the fleet has `count` running members and each serves exactly their IPs.
 * Returns those IPs; throws with what it last saw after `timeoutMs`.
 */
export async function converged(name: string, count: number, timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const members = await inspectMembers(name);
    const expected = sortIps(members.values());
    if (expected.length === count) {
      const answers = await Promise.all(expected.map((ip) => get(ip, MEMBER_PORT).catch((e: Error) => ({ status: 0, body: e.message, servedBy: '' }))));
      if (answers.every((a) => a.status === 200 && a.body === expected.map((ip) => `${ip}\n`).join(''))) return expected;
      last = `members ${expected.join(',')} serve ${answers.map((a) => JSON.stringify(a.body)).join(' ')}`;
    } else last = `${expected.length} running members, want ${count}`;
    await sleep(100);
  }
  throw new Error(`fleet ${name} did not converge within ${timeoutMs} ms: ${last}`);
}

export interface Daemon {
  name: string;
  port: number;
  /** The admin listener's port; 0 when `extra` turned it off or chose it. */
  adminPort: number;
  child: ChildProcess;
  logs: () => string;
  exited: Promise<number | null>;
}

/** Starts `fleet up` and resolves once it says it serves; teardown takes everything down. */
export async function up(t: Tap, tag: string, replicas: number, extra: string[] = [], name = fleetName(tag)): Promise<Daemon> {
  const port = await freePort();
  registerCleanup(t, name);
  return startDaemon(name, port, replicas, extra);
}

export function registerCleanup(t: Tap, name: string): void {
  t.teardown(async () => {
    await fleet(['down', '--name', name]);
    const ids = (await docker('ps', '-aq', '--filter', `label=io.fleet.name=${name}`)).split('\n').filter(Boolean);
    if (ids.length) await docker('rm', '-f', ...ids);
    await docker('network', 'rm', `fleet-${name}`).catch(() => '');
  });
}

export async function startDaemon(name: string, port: number, replicas: number, extra: string[] = [], readyMs = 120_000): Promise<Daemon> {
  // Daemons of tests that run at once each get an admin port of their own.
  const adminPort = extra.some((arg) => arg.startsWith('--admin-port') || arg === '--no-admin') ? 0 : await freePort();
  const admin = adminPort ? ['--admin-port', String(adminPort)] : [];
  const child = spawn(
    LAUNCHER,
    ['up', '--name', name, '--port', String(port), '--replicas', String(replicas), '--image', IMAGE, '--health-interval', '500', '--log-level', 'DEBUG', ...admin, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Nothing of the wait may outlive it: a pending readyMs timer, or a poll that never stops,
  // kept a file's process alive for readyMs after its last test (and tap's timeout failed it).
  let settled = false;
  let deadline: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    (async () => {
      while (!settled && !output.includes('serving http://')) await sleep(50);
      return !settled;
    })(),
    exited.then(() => false),
    new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(false), readyMs))),
  ]);
  settled = true;
  clearTimeout(deadline);
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`fleet up did not become ready:\n${output}`);
  }
  return { name, port, adminPort, child, logs: () => output, exited };
}

export interface Load {
  stop(): Promise<{ total: number; failures: string[] }>;
}

/** A steady GET load of `concurrency` clients, each checking that the answer lists its server. */
export function steadyLoad(port: number, concurrency: number, pauseMs = 0): Load {
  let running = true;
  let total = 0;
  const failures: string[] = [];
  const check = (answer: Answer): void => {
    if (answer.status !== 200) failures.push(`status ${answer.status}: ${answer.body.trim()}`);
    else if (!lines(answer.body).includes(answer.servedBy)) failures.push(`${answer.servedBy} served a list without itself: ${JSON.stringify(answer.body)}`);
  };
  const workers = Array.from({ length: concurrency }, async () => {
    // Bounded: stops when told to, or after 50,000 requests per client at the most.
    for (let i = 0; running && i < 50_000; i++) {
      try {
        check(await get('127.0.0.1', port));
      } catch (error) {
        failures.push((error as Error).message);
      }
      total++;
      if (pauseMs) await sleep(pauseMs);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return { total, failures };
    },
  };
}

/** Polls `condition` every 100 ms until it holds or `ms` pass; the last answer decides. */
export async function until(condition: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(100);
  }
  return condition();
}

/**
 * An engine of the test's own (private-engine.ts), with the member image in it: everything
 * after this (the daemon, docker, the fleet CLI) talks to it, until the test's teardown
 * points them back at the shared engine and stops it.
 */
export async function onPrivateEngine(t: Tap): Promise<PrivateEngine | undefined> {
  if (!(await requireEngine(t))) return undefined;
  const engine = await startPrivateEngine([IMAGE]);
  const shared = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = engine.host;
  t.teardown(async () => {
    if (shared === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = shared;
    await engine.stop();
  });
  return engine;
}
