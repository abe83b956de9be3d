// Process-wide settings of the daemon's primary, made once by its entry (`fleet up`), not by
// the classes it wires: how the balancer's workers are forked, and what a bug nobody caught
// does to the process.
import cluster from 'node:cluster';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { BUG_EXIT_CODE, BUG_STOP_MS } from './config.js';

/** The worker bundle: beside this one (dist/), unless FLEET_WORKER_SCRIPT names another. */
export function workerScript(): string {
  if (process.env.FLEET_WORKER_SCRIPT) return process.env.FLEET_WORKER_SCRIPT;
  const here = process.argv[1] ? path.dirname(fs.realpathSync(process.argv[1])) : process.cwd();
  return path.join(here, 'fleet-worker.cjs');
}

/** How this process forks the balancer's workers (node:cluster's settings are the process's). */
export function setUpCluster(script: string = workerScript()): void {
  // Workers accept connections themselves (the kernel spreads them); the primary is never
  // in a request's way, and a busy primary delays no accept.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  // No terminal input for workers; their logs go where the primary's go.
  // FLEET_WORKER_NODE_ARGS is for benchmarking only (`--cpu-prof --cpu-prof-dir=DIR`:
  // Node refuses --cpu-prof in NODE_OPTIONS).
  // http-proxy parses every request's target with url.parse(): Node's one-time warning about
  // it would be a bare line among the workers' log lines (and break a JSON log).
  const execArgv = [...process.execArgv, '--disable-warning=DEP0169', ...(process.env.FLEET_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
  cluster.setupPrimary({ exec: script, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/**
 * A bug nobody caught ends the primary, as it ends a worker: after it, the process's state is
 * unknown. It is logged (one line; the stack only at DEBUG), then `stop` gets up to
 * BUG_STOP_MS for an orderly stop that leaves the members running, and the process exits
 * with BUG_EXIT_CODE. A supervisor (systemd's Restart=always, Compose's restart policy)
 * starts `fleet up` again, which adopts the members. A second bug during the stop exits at once.
 */
export function exitOnBug(log: Logger, stop: () => Promise<void>, exit: (code: number) => void = (code) => process.exit(code)): void {
  let stopping = false;
  const bug = (event: string, error: Error): void => {
    log.error(event, { error, action: 'exiting; a restarted daemon adopts the running members' });
    if (stopping) return exit(BUG_EXIT_CODE);
    stopping = true;
    process.exitCode = BUG_EXIT_CODE;
    setTimeout(() => exit(BUG_EXIT_CODE), BUG_STOP_MS);
    stop().then(
      () => exit(BUG_EXIT_CODE),
      () => exit(BUG_EXIT_CODE),
    );
  };
  process.on('uncaughtException', (error) => bug('bug.uncaught', error));
  process.on('unhandledRejection', (reason) => bug('bug.unhandled_rejection', reason instanceof Error ? reason : new Error(String(reason))));
}
