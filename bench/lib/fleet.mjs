// Running the fleet CLI from the benchmarks: the daemon as a child process, the other
// commands as timed calls, and cleanup that runs on success, failure and signals.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { forceRemoveFleet } from './docker.mjs';
import { MEMBER_PORT } from './http.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The fleet CLI: `FLEET_BIN` (a launcher such as bin/fleet elsewhere, or a .cjs bundle run with
 * this node) or the repository's bin/fleet (which runs dist/fleet.cjs: build first).
 */
export function fleetCommand(bin = process.env.FLEET_BIN) {
  const file = bin ? path.resolve(bin) : path.join(root, 'bin', 'fleet');
  return file.endsWith('.cjs') ? [process.execPath, file] : [file];
}

export const IMAGE = process.env.FLEET_IMAGE || 'fleet-nginx:offline';

/**
 * What one side of a comparison runs: a fleet CLI, the image its members run and the port
 * they listen on (builds before 8080 had members on 80).
 */
export function makeSide({ label = 'fleet', bin, image = IMAGE, memberPort = MEMBER_PORT, maxReplicas = 250 } = {}) {
  return { label, command: fleetCommand(bin), image, memberPort, maxReplicas };
}

export const DEFAULT_SIDE = makeSide();

/** A comma-separated setting from the environment, `fallback` when unset or empty. */
export function envList(value, fallback) {
  return (value || fallback).split(',').map((v) => v.trim()).filter(Boolean);
}

/** The builds BENCH_FLEETS names (`label=path,...`; default: FLEET_BIN or bin/fleet, as `fleet`). */
export function fleetsFromEnv() {
  return envList(process.env.BENCH_FLEETS, `fleet=${process.env.FLEET_BIN ?? ''}`).map((entry) => {
    const [label, bin] = entry.split('=');
    return { label, side: makeSide({ label, bin: bin || undefined }) };
  });
}

/** Runs one fleet command to completion; resolves { code, stdout, stderr, ms } (never rejects on exit code). */
export function fleet(args, { timeoutMs = 180_000, side = DEFAULT_SIDE } = {}) {
  const [cmd, ...pre] = side.command;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, [...pre, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

export async function fleetOk(args, options) {
  const r = await fleet(args, options);
  if (r.code !== 0) throw new Error(`fleet ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  return r;
}

export async function status(name, side = DEFAULT_SIDE) {
  return JSON.parse((await fleetOk(['status', '--json', '--name', name], { timeoutMs: 30_000, side })).stdout);
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Everything started here, undone by cleanup() whatever happens.
const fleets = new Map();
const undo = [];

/** Registers a cleanup step (run in reverse order). */
export function onCleanup(fn) {
  undo.push(fn);
}

/**
 * Starts `fleet up` in the foreground as a child and resolves once it prints that it
 * serves. Its stderr goes to a buffer that is shown if it fails; `onLog` gets each line of
 * it as it comes.
 */
export async function up({ name, replicas, port, side = DEFAULT_SIDE, image = side.image, extra = [], readyTimeoutMs = 300_000, logLevel = process.env.FLEET_LOG_LEVEL || 'WARNING', onLog }) {
  const [cmd, ...pre] = side.command;
  const args = [...pre, 'up', '--replicas', String(replicas), '--image', image, '--name', name, '--port', String(port), '--log-level', logLevel, ...extra];
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const record = { name, side, child, stderr: '', exited: false };
  let partial = '';
  fleets.set(name, record);
  // BENCH_DAEMON_LOG=file keeps the daemon's log (with FLEET_LOG_LEVEL=INFO: its timings).
  const logFile = process.env.BENCH_DAEMON_LOG ? fs.openSync(process.env.BENCH_DAEMON_LOG, 'a') : undefined;
  if (logFile !== undefined) child.on('close', () => fs.closeSync(logFile));
  child.stderr.on('data', (d) => {
    if (logFile !== undefined) fs.writeSync(logFile, d);
    if (onLog) {
      const lines = (partial + d).split('\n');
      partial = lines.pop();
      for (const line of lines) onLog(line);
    }
    record.stderr += d;
    if (record.stderr.length > 200_000) record.stderr = record.stderr.slice(-100_000);
  });
  const exited = new Promise((resolve) => child.on('close', (code) => { record.exited = true; resolve(code); }));
  record.exitedPromise = exited;
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`fleet up ${name} not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('serving http://')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`fleet up ${name} exited ${code} before serving: ${record.stderr.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
  record.upMs = performance.now() - t0;
  return record;
}

/** `fleet down`, then SIGTERM / SIGKILL of the daemon and a forced removal if anything is left. */
export async function down(name) {
  const record = fleets.get(name);
  fleets.delete(name);
  const t0 = performance.now();
  const r = await fleet(['down', '--name', name], { timeoutMs: 300_000, side: record?.side }).catch((e) => ({ code: 1, stderr: String(e) }));
  r.downMs = performance.now() - t0;
  if (record && !record.exited) {
    // Unref'd: a timer that lost the race must not keep the benchmark alive for 15 s.
    const timeout = (ms) => new Promise((res) => setTimeout(() => res('timeout'), ms).unref());
    const late = await Promise.race([record.exitedPromise, timeout(15_000)]);
    if (late === 'timeout') {
      record.child.kill('SIGTERM');
      const again = await Promise.race([record.exitedPromise, timeout(15_000)]);
      if (again === 'timeout') record.child.kill('SIGKILL');
    }
  }
  const leftovers = await forceRemoveFleet(name);
  if (r.code !== 0 || leftovers > 0) {
    process.stderr.write(`warning: fleet down --name ${name} exited ${r.code}${leftovers ? `; force-removed ${leftovers} leftover container(s)` : ''}\n`);
  }
  return r;
}

export function daemonLog(name) {
  return fleets.get(name)?.stderr ?? '';
}

let cleaning;
export function cleanup() {
  cleaning ??= (async () => {
    for (const name of [...fleets.keys()]) await down(name).catch((e) => process.stderr.write(`cleanup of ${name}: ${e}\n`));
    for (const fn of undo.reverse()) await Promise.resolve().then(fn).catch((e) => process.stderr.write(`cleanup: ${e}\n`));
  })();
  return cleaning;
}

/** Cleanup on SIGINT/SIGTERM too; a second signal exits at once. */
export function installSignalHandlers() {
  let signals = 0;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (++signals > 1) process.exit(130);
      process.stderr.write(`\n${sig}: cleaning up...\n`);
      void cleanup().finally(() => process.exit(130));
    });
  }
}
