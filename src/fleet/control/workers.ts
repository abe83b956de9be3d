// The balancer's worker processes, kept by the primary: N slots, each with one worker
// (node:cluster). Every worker gets the rotation as snapshots and reports its load back;
// a worker that exits is replaced at once, one that stops beating (its event loop stuck)
// is killed and replaced, and `reload` replaces them one at a time, the new one serving
// before the old one is retired, so no request fails. How workers are forked (the script,
// the scheduling) is the process's setting, made once by the daemon's entry (primary-process.ts).
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../log.js';
import { type ProcStat, procStat } from './proc-stat.js';
import { FleetError } from '../errors.js';
import { listenError } from '../listen-error.js';
import { EXTRA_ACCEPTORS } from '../config.js';
import { BEAT_MS, type FromWorker, type Handle, type ToWorker, type WorkerConfig, isFromWorker, isHandle } from '../data/messages.js';
import type { RequestFigures } from '../data/request-stats.js';
import type { MemberSet } from './members.js';
import type { WorkerStatus } from './types.js';

export interface WorkerPoolOptions {
  count: number;
  config: WorkerConfig;
  /** A worker silent this long is taken for hung. */
  hangMs: number;
}

/** What the pool tells the metrics. */
export interface WorkerPoolHooks {
  /** A worker's requests answered since its last report. */
  requests?(figures: RequestFigures): void;
  /** A slot's worker was replaced. */
  restarted?(reason: 'died' | 'hung' | 'reload'): void;
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  restarts: number;
  /** Unexpected exits in the last minute, for backoff. */
  crashes: number[];
}

interface Live {
  slot: Slot;
  worker: Worker;
  state: WorkerStatus['state'];
  lastBeat: number;
  /** What /proc said of the worker when it was first found silent (see checkBeats). */
  silentStat: ProcStat | undefined;
  requests: number;
  inflight: number;
  connections: number;
  listening: Promise<void>;
  /** Killed for not beating. */
  hung: boolean;
}

/** A new worker must be serving within this. */
const START_TIMEOUT_MS = 15_000;
/** A silent worker that uses this much more CPU without beating is spinning, not starved... */
const HANG_CPU_MS = 1_000;
/**
 * ...unless it made this many read and write calls meanwhile: then it is working through one
 * long turn of its event loop (thousands of busy clients on a host short of CPU), and killing
 * it would cut every connection it holds. A spin in JavaScript makes none.
 */
const HANG_IO_CALLS = 100;
/** Silent this long, a worker is replaced whatever /proc says. */
const HANG_SILENCE_MS = 30_000;

/**
 * A worker silent for `silentMs` (at least the hang limit): hung, or only starved of CPU or
 * overloaded? `burnedCpuMs` and `ioCalls` are what it used and made since it was first found
 * silent (undefined where /proc does not say).
 */
export function isHung(silentMs: number, stat: ProcStat | undefined, burnedCpuMs: number | undefined, ioCalls?: number): boolean {
  if (!stat) return true;
  if (stat.state === 'T' || stat.state === 't') return true;
  if (silentMs >= HANG_SILENCE_MS) return true;
  return (burnedCpuMs ?? 0) >= HANG_CPU_MS && (ioCalls ?? 0) < HANG_IO_CALLS;
}

export class WorkerPool {
  private readonly slots: Slot[];
  private readonly live = new Map<Worker, Live>();
  private watchdog: NodeJS.Timeout | undefined;
  private broadcastPending = false;
  private stopping = false;
  private reloading: Promise<void> | undefined;

  constructor(
    private readonly members: MemberSet,
    private readonly options: WorkerPoolOptions,
    private readonly log: Logger,
    private readonly hooks: WorkerPoolHooks = {},
  ) {
    this.slots = Array.from({ length: options.count }, (_, index) => ({ index, worker: undefined, restarts: 0, crashes: [] }));
    members.onChange(() => this.scheduleBroadcast());
  }

  /** Starts every worker; resolves once all listen, rejects (with every worker stopped) when one cannot. */
  async start(): Promise<void> {
    try {
      await Promise.all(this.slots.map((slot) => this.fork(slot).listening));
    } catch (error) {
      // They never served: stopped without ceremony, so the error stays the one line said.
      this.stopping = true;
      await Promise.all(
        [...this.live.values()].map(
          (live) =>
            new Promise<void>((resolve) => {
              live.state = 'retiring';
              if (live.worker.isDead()) return resolve();
              live.worker.once('exit', () => resolve());
              live.worker.process.kill('SIGKILL');
            }),
        ),
      );
      throw error;
    }
    this.watchdog = setInterval(() => this.checkBeats(), BEAT_MS);
    this.watchdog.unref();
  }

  /** Replaces the workers one at a time; each new one serves before the old one retires. */
  reload(): Promise<void> {
    this.reloading ??= this.roll().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /** Retires every worker (requests in flight finish, bounded by `timeoutMs`). */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.watchdog) clearInterval(this.watchdog);
    await Promise.all([...this.live.values()].map((live) => this.retire(live, timeoutMs)));
  }

  status(): WorkerStatus[] {
    return [...this.live.values()]
      .map((live) => ({
        slot: live.slot.index,
        pid: live.worker.process.pid ?? 0,
        state: live.state,
        requests: live.requests,
        inflight: live.inflight,
        connections: live.connections,
        restarts: live.slot.restarts,
      }))
      .sort((a, b) => a.slot - b.slot || a.pid - b.pid);
  }

  private fork(slot: Slot): Live {
    const worker = cluster.fork({ FLEET_WORKER_CONFIG: JSON.stringify(this.options.config), FLEET_WORKER_SLOT: String(slot.index) });
    slot.worker = worker;
    let listened: () => void = () => {};
    let failed: (error: Error) => void = () => {};
    const listening = new Promise<void>((resolve, reject) => {
      listened = resolve;
      failed = reject;
    });
    // Nobody may wait on it (a replacement): its failure is handled where it happens.
    listening.catch(() => undefined);
    const live: Live = { slot, worker, state: 'starting', lastBeat: Date.now(), silentStat: undefined, requests: 0, inflight: 0, connections: 0, listening, hung: false };
    this.live.set(worker, live);
    const key = this.key(worker);
    const timer = setTimeout(() => failed(new FleetError('FLEET_WORKER_FAILED', `balancer worker ${slot.index} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    worker.on('message', (message: unknown, handle: unknown) => {
      if (!isFromWorker(message)) {
        this.log.warn('worker.bad_message', { slot: slot.index, message: JSON.stringify(message).slice(0, 200) });
        return;
      }
      if (message.t === 'share') this.shareBack(worker, handle);
      else this.onMessage(live, message, listened, failed, timer);
    });
    worker.on('exit', (code, signal) => {
      clearTimeout(timer);
      this.live.delete(worker);
      this.members.removeRemote(key);
      failed(new FleetError('FLEET_WORKER_FAILED', `balancer worker ${slot.index} exited (${signal ?? `code ${code}`}) before it served`));
      if (live.state === 'retiring' || this.stopping) return;
      this.log.warn('worker.exited', { slot: slot.index, pid: worker.process.pid, code, signal });
      if (slot.worker === worker) {
        this.hooks.restarted?.(live.hung ? 'hung' : 'died');
        this.replace(slot);
      }
    });
    this.members.markStale(key);
    return live;
  }

  private onMessage(live: Live, message: FromWorker, listened: () => void, failed: (error: Error) => void, timer: NodeJS.Timeout): void {
    const { worker, slot } = live;
    switch (message.t) {
      case 'ready':
        this.send(worker, { t: 'rotation', snapshot: this.members.snapshot() });
        break;
      case 'listening':
        clearTimeout(timer);
        live.state = 'serving';
        live.lastBeat = Date.now();
        this.log.info('worker.serving', { slot: slot.index, pid: worker.process.pid });
        listened();
        break;
      case 'listen-failed':
        clearTimeout(timer);
        failed(listenError(message.code, message.message, { label: '', host: this.options.config.host, port: this.options.config.port }));
        break;
      case 'beat': {
        live.lastBeat = Date.now();
        live.silentStat = undefined;
        live.requests = message.requests;
        live.connections = message.connections;
        live.inflight = Object.values(message.inflight).reduce((a, b) => a + b, 0);
        // A count is only good for a drain once the worker works from the latest snapshot.
        if (message.version >= this.members.snapshot().version) this.members.setRemote(this.key(worker), message.inflight);
        break;
      }
      case 'failure':
        if (message.unreachable) this.members.reportUnreachable(message.id);
        else this.members.report(message.id, false, 'passive');
        break;
      case 'requests':
        this.hooks.requests?.(message);
        break;
    }
  }

  // A slot whose worker keeps dying waits a little longer each time, up to 5 s.
  private replace(slot: Slot): void {
    const now = Date.now();
    slot.crashes = [...slot.crashes.filter((t) => now - t < 60_000), now];
    slot.restarts++;
    const delay = slot.crashes.length <= 3 ? 0 : Math.min(5_000, 100 * 2 ** (slot.crashes.length - 3));
    setTimeout(() => {
      if (this.stopping || slot.worker?.isDead() === false) return;
      const next = this.fork(slot);
      next.listening.then(
        () => this.log.info('worker.replaced', { slot: slot.index, pid: next.worker.process.pid, restarts: slot.restarts }),
        (error: Error) => this.log.error('worker.replace_failed', { slot: slot.index, error }),
      );
    }, delay).unref();
  }

  private async roll(): Promise<void> {
    this.log.info('workers.reloading', { workers: this.slots.length });
    for (const slot of this.slots) {
      const old = slot.worker && this.live.get(slot.worker);
      const next = this.fork(slot);
      try {
        await next.listening;
      } catch (error) {
        // The old one keeps serving: a reload that cannot start a worker changes nothing.
        slot.worker = old?.worker;
        throw error;
      }
      slot.restarts++;
      this.hooks.restarted?.('reload');
      if (old) void this.retire(old, this.options.config.drainTimeoutMs);
    }
    this.log.info('workers.reloaded', { workers: this.slots.length });
  }

  private retire(live: Live, timeoutMs: number): Promise<void> {
    const { worker } = live;
    if (worker.isDead()) return Promise.resolve();
    live.state = 'retiring';
    return new Promise((resolve) => {
      const kill = setTimeout(() => worker.process.kill('SIGKILL'), timeoutMs + 1_000);
      worker.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      this.send(worker, { t: 'retire' });
    });
  }

  // A worker that stops beating has its event loop stuck: it serves nobody, so it goes. Silence
  // alone is not proof on a host short of CPU, or under thousands of busy clients, where a
  // worker that makes progress may still go seconds without reaching its timers: a silent
  // worker is hung when it is stopped, or when it burns CPU (HANG_CPU_MS more) without beating
  // and without reading or writing (HANG_IO_CALLS). Where there is no /proc, silence decides.
  private checkBeats(): void {
    const now = Date.now();
    const silent = [...this.live.values()].filter((live) => live.state === 'serving' && now - live.lastBeat >= this.options.hangMs);
    if (silent.length === 0) return;
    // Beats that arrived while this process was busy are read before the verdict.
    setImmediate(() => {
      for (const live of silent) {
        const silentMs = Date.now() - live.lastBeat;
        if (live.state !== 'serving' || silentMs < this.options.hangMs) continue;
        const pid = live.worker.process.pid ?? 0;
        const stat = procStat(pid);
        const since = (live.silentStat ??= stat);
        const burnedMs = stat && since ? stat.cpuMs - since.cpuMs : undefined;
        const ioCalls = stat?.ioCalls !== undefined && since?.ioCalls !== undefined ? stat.ioCalls - since.ioCalls : undefined;
        if (!isHung(silentMs, stat, burnedMs, ioCalls)) continue;
        this.log.error('worker.hung', { slot: live.slot.index, pid, silentMs, state: stat?.state, cpuMs: burnedMs, ioCalls });
        live.lastBeat = Date.now();
        live.silentStat = undefined;
        live.hung = true;
        live.worker.process.kill('SIGKILL');
      }
    });
  }

  private scheduleBroadcast(): void {
    if (this.broadcastPending) return;
    this.broadcastPending = true;
    // One snapshot per burst of edits (a pass changes many members in one turn).
    setImmediate(() => {
      this.broadcastPending = false;
      const snapshot = this.members.snapshot();
      for (const live of this.live.values()) {
        this.members.markStale(this.key(live.worker));
        this.send(live.worker, { t: 'rotation', snapshot });
      }
    });
  }

  /**
   * Sends a worker's listening socket back to it EXTRA_ACCEPTORS times: each copy is a new
   * descriptor of the same socket, on which the worker accepts too (Balancer.acceptAlso).
   * This process never listens on it: its own copy is closed once every copy is sent.
   */
  private shareBack(worker: Worker, native: unknown): void {
    if (!isHandle(native)) return;
    let left = EXTRA_ACCEPTORS;
    const sent = (): void => {
      if (--left === 0) native.close();
    };
    for (let i = 0; i < EXTRA_ACCEPTORS; i++) this.send(worker, { t: 'acceptor' }, native, sent);
  }

  /** Sends a message (with a handle: a copy of that descriptor); `done` runs once it is sent, or not sent. */
  private send(worker: Worker, message: ToWorker, handle?: Handle, done?: () => void): void {
    if (!worker.isConnected()) return done?.();
    worker.send(message, handle as never, (error: Error | null) => {
      if (error) this.log.debug('worker.send_failed', { pid: worker.process.pid, error });
      done?.();
    });
  }

  private key(worker: Worker): string {
    return `worker-${worker.id}`;
  }
}

