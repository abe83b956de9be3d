// A balancer worker process: the data plane. It listens on the balancer's port (shared by
// every worker; each accepts for itself, so the primary is never in a request's way),
// balances over the rotation the primary sends, and reports back what the primary needs
// for health, drains and status. A bug in a worker ends the worker: the primary replaces
// it at once while the others keep serving.
import { parseLogLevel } from '../../log/levels.js';
import { Logger } from '../../log.js';
import { stdioDestination } from '../../log/fd-destination.js';
import { pinoJson } from '../../log/pino-json.js';
import { releaseHungUp, terminalFds } from '../hangup.js';
import { accessLogDestination, accessLogger } from './access-log.js';
import { Balancer } from './balancer.js';
import { BEAT_MS, type FromWorker, type WorkerConfig, isHandle, isToWorker } from './messages.js';
import { RequestStats } from './request-stats.js';
import { SnapshotRotation } from './rotation.js';

function send(message: FromWorker): void {
  // The channel closes when the primary dies; the worker then exits on 'disconnect'.
  if (process.connected) process.send?.(message);
}

export async function runWorker(config: WorkerConfig, slot: string): Promise<void> {
  const log = new Logger({
    level: parseLogLevel(config.log.level) ?? 'INFO',
    destination: stdioDestination(process.stderr),
    format: config.log.format,
    json: config.log.format === 'json' ? pinoJson() : undefined,
    bindings: { worker: slot },
  });
  process.on('uncaughtException', (error) => {
    log.error('bug.uncaught', { error });
    process.exit(70);
  });
  process.on('unhandledRejection', (reason) => {
    log.error('bug.unhandled_rejection', { error: reason instanceof Error ? reason : new Error(String(reason)) });
    process.exit(70);
  });
  // The terminal is the primary's business: a closed one must not end a worker, nor Ctrl-C
  // (the primary retires the workers as it goes down).
  process.on('SIGHUP', () => {});
  process.on('SIGINT', () => {});
  const terminal = terminalFds();
  process.once('exit', () => releaseHungUp(terminal));

  const rotation = new SnapshotRotation({
    failure: (id, unreachable) => send({ t: 'failure', id, unreachable }),
    drained: () => beat(),
  });
  const stats = new RequestStats();
  const balancer = new Balancer(rotation, config.balancer, log, stats);
  if (config.accessLog !== undefined) {
    try {
      balancer.onRequestDone = accessLogger(accessLogDestination(config.accessLog), config.log.format);
    } catch (error) {
      // `up` checked the file; one that went since costs the access log, not the worker.
      log.error('access_log.unavailable', { path: config.accessLog, error: error as Error });
    }
  }
  const beat = (): void => {
    const figures = stats.take();
    if (figures) send({ t: 'requests', ...figures });
    send({ t: 'beat', version: rotation.version, inflight: rotation.inflight(), requests: balancer.requests, connections: balancer.connections });
  };

  let retiring = false;
  let firstRotation: () => void = () => {};
  const rotated = new Promise<void>((resolve) => (firstRotation = resolve));
  process.on('message', (message: unknown, handle: unknown) => {
    if (!isToWorker(message)) {
      log.warn('worker.bad_message', { message: JSON.stringify(message).slice(0, 200) });
      return;
    }
    if (message.t === 'rotation') {
      const gone = rotation.apply(message.snapshot);
      log.debug('worker.rotation', { version: message.snapshot.version, members: message.snapshot.members.length, applied: gone !== undefined });
      for (const id of gone ?? []) balancer.forget(id);
      if (gone) for (const id of message.snapshot.down) balancer.abandon(id);
      firstRotation();
      beat();
    } else if (message.t === 'acceptor') {
      if (!isHandle(handle)) return;
      if (retiring) handle.close();
      else balancer.acceptAlso(handle);
    } else if (!retiring) {
      retiring = true;
      log.info('worker.retiring', { connections: balancer.connections });
      void balancer.drain(config.drainTimeoutMs).then(() => {
        log.info('worker.retired', {});
        process.exit(0);
      });
    }
  });

  // A message sent before this process listens for them is lost, so the primary sends the
  // rotation once asked for it; and the worker takes no request before it has one.
  send({ t: 'ready' });
  await rotated;
  try {
    await balancer.listen(config.port, config.host);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    send({ t: 'listen-failed', code: e.code ?? 'EUNKNOWN', message: e.message });
    setTimeout(() => process.exit(1), 100).unref();
    return;
  }
  send({ t: 'listening' });
  // Copies of the listening socket come back from the primary (see Balancer.acceptAlso).
  const listener = (balancer.server as unknown as { _handle?: object })._handle;
  if (listener && process.connected) process.send?.({ t: 'share' } satisfies FromWorker, listener as never);
  setInterval(beat, BEAT_MS).unref();
}
