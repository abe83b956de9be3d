// Everything fleet asks of Docker, on dockerode. This is one of the two edges that
// touch IO; the planner and the balancer never see a dockerode type.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Duplex, PassThrough, type Readable } from 'node:stream';
import type { SessionStream } from '../control/lists/channel.js';
import Docker from 'dockerode';
import pLimit, { type LimitFunction } from 'p-limit';
import { followContainerEvents } from './follow-events.js';
import pRetry, { AbortError } from 'p-retry';
import { ENGINE_CONCURRENCY, SESSION_OPEN_TIMEOUT_MS } from '../config.js';
import { FleetError, messageOf } from '../errors.js';
import { type EngineAddress, connectionOf, resolveEngineAddress } from '../../engine/address.js';
import { isEngineError, unreachableMessage } from '../../engine/errors.js';
import { LABEL_FLEET, LABEL_IMAGE, LABEL_ROLE, MEMBER_ROLE, memberName, networkName } from '../names.js';
import type { ObservedContainer } from '../control/reconcile/plan.js';
import type { MemberEvent } from '../control/types.js';
import type { ImageConfig } from './member-image.js';
import { type MemberSpec, memberContainer } from './member-spec.js';

interface DockerError {
  statusCode?: number;
  code?: string;
  message: string;
  json?: { message?: string };
}

function statusOf(error: unknown): number | undefined {
  return (error as DockerError | undefined)?.statusCode;
}

function reason(error: unknown): string {
  const e = error as DockerError;
  return (e?.json?.message ?? messageOf(error)).trim();
}

/** Container events that can change membership; exec_* (our own pushes) are not among them. */
export const MEMBERSHIP_EVENTS = ['create', 'start', 'restart', 'die', 'stop', 'destroy', 'oom', 'pause', 'unpause', 'rename'] as const;

const CONNECT_ERRORS = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'ECONNRESET']);

/** Turns a failed engine call into a one-line FleetError naming what was asked. */
export function engineError(what: string, error: unknown, address: string): FleetError {
  if (error instanceof FleetError) return error;
  const code = (error as DockerError | undefined)?.code;
  if ((code && CONNECT_ERRORS.has(code)) || /timeout/i.test(messageOf(error))) {
    return new FleetError('FLEET_ENGINE_UNREACHABLE', unreachableMessage(address, reason(error)));
  }
  return new FleetError('FLEET_ENGINE_ERROR', `${what}: ${reason(error)}`);
}

/**
 * dockerode's options for the engine DOCKER_HOST names, resolved by src/engine/address.ts as
 * dkr-ls resolves it (docker-modem's own reading of the environment is never used), so both
 * tools reach the same engine and name it the same way.
 */
export function dockerOptions(address: EngineAddress): Docker.DockerOptions {
  let connection;
  try {
    connection = connectionOf(address);
  } catch (error) {
    throw new FleetError('FLEET_ENGINE_BAD_HOST', messageOf(error));
  }
  if ('socketPath' in connection) return { socketPath: connection.socketPath };
  if (!connection.tls) return { host: connection.host, port: connection.port, protocol: 'http' };
  return { host: connection.host, port: connection.port, protocol: 'https', ...connection.tls };
}

export function resolveAddress(): EngineAddress {
  try {
    return resolveEngineAddress();
  } catch (error) {
    if (isEngineError(error)) throw new FleetError('FLEET_ENGINE_BAD_HOST', error.message);
    throw error;
  }
}

/** Our side gave up on the call (a timeout, a dropped connection): the engine may still be doing it. */
function timedOut(error: unknown): boolean {
  const code = (error as DockerError | undefined)?.code;
  return code === 'ETIMEDOUT' || code === 'ECONNRESET' || /timeout|timed out|socket hang up/i.test(messageOf(error));
}

/** Rejects with a timeout after `ms`; what arrives later is handed to `discard`. */
function bounded<T>(work: Promise<T>, ms: number, discard: (late: T) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new Error(`timeout: the engine did not answer within ${ms} ms`));
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        if (late) discard(value);
        else resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function ignoreStatus(...codes: number[]) {
  return (error: unknown): void => {
    if (!codes.includes(statusOf(error) ?? 0)) throw error;
  };
}

export class Engine {
  /** For short calls: a stalled engine fails them instead of hanging the daemon. */
  private readonly api: Docker;
  /** For the event stream, which stays open. */
  private readonly stream: Docker;

  /** DOCKER_HOST as given, for messages. */
  readonly address: string;
  private readonly options: Docker.DockerOptions;
  /**
   * Calls in flight at once, per kind (config.ts ENGINE_CONCURRENCY): however many members
   * start, fail or need a session, fleet's load on dockerd stays bounded.
   */
  private readonly limits: Record<keyof typeof ENGINE_CONCURRENCY, LimitFunction> = {
    starts: pLimit(ENGINE_CONCURRENCY.starts),
    removals: pLimit(ENGINE_CONCURRENCY.removals),
    execs: pLimit(ENGINE_CONCURRENCY.execs),
    inspects: pLimit(ENGINE_CONCURRENCY.inspects),
  };

  constructor(timeoutMs = 30_000, address: EngineAddress = resolveAddress()) {
    this.address = address.display;
    this.options = dockerOptions(address);
    this.api = new Docker({ ...this.options, timeout: timeoutMs });
    this.stream = new Docker(this.options);
  }

  async ping(timeoutMs = 5_000): Promise<void> {
    const docker = new Docker({ ...this.options, timeout: timeoutMs });
    try {
      await docker.ping();
    } catch (error) {
      // Whatever the failure, an engine that does not answer a ping is unreachable.
      throw new FleetError('FLEET_ENGINE_UNREACHABLE', unreachableMessage(this.address, reason(error)));
    }
  }

  /** The fleet's bridge network: reused when it exists (adoption), made otherwise. */
  async ensureNetwork(fleet: string): Promise<{ name: string; created: boolean }> {
    const name = networkName(fleet);
    try {
      const existing = await this.api.listNetworks({ filters: { name: [name] } });
      if (existing.some((n) => n.Name === name)) return { name, created: false };
      await this.api.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { [LABEL_FLEET]: fleet } });
      return { name, created: true };
    } catch (error) {
      throw engineError(`cannot create network ${name}`, error, this.address);
    }
  }

  async removeNetwork(fleet: string): Promise<boolean> {
    try {
      await this.api.getNetwork(networkName(fleet)).remove();
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw engineError(`cannot remove network ${networkName(fleet)}`, error, this.address);
    }
  }

  /** Every container of the fleet, running or not, with its address on the fleet's network. */
  async listMembers(fleet: string): Promise<ObservedContainer[]> {
    const network = networkName(fleet);
    let containers: Docker.ContainerInfo[];
    try {
      containers = await this.api.listContainers({ all: true, filters: { label: [`${LABEL_FLEET}=${fleet}`, `${LABEL_ROLE}=${MEMBER_ROLE}`] } });
    } catch (error) {
      throw engineError('cannot list containers', error, this.address);
    }
    return containers.map((c) => {
      const ip = c.NetworkSettings?.Networks?.[network]?.IPAddress;
      return {
        id: c.Id,
        name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
        ip: ip ? ip : undefined,
        running: c.State === 'running',
        state: c.State,
        created: c.Created,
        // Members started before the label existed: the image as the engine names it.
        image: c.Labels?.[LABEL_IMAGE] ?? c.Image,
      };
    });
  }

  /**
   * Creates and starts a member; one that was created but would not start is removed, not left
   * behind. A start that timed out on our side is not a failure until the engine says so: it
   * is asked (inspect), and a container running or still on its way is kept, never killed.
   */
  startMember(spec: MemberSpec): Promise<string> {
    return this.limits.starts(() => this.createAndStart(spec));
  }

  private async createAndStart(spec: MemberSpec): Promise<string> {
    const name = memberName(spec.fleet, randomBytes(4).toString('hex'));
    let created: Docker.Container | undefined;
    try {
      created = await this.api.createContainer(memberContainer(spec, name));
      await created.start();
      return created.id;
    } catch (error) {
      if (created && timedOut(error)) {
        const state = await this.containerState(created.id);
        // Running, or still being started: the planner sees it like any other. Unknown (the
        // engine does not answer the inspect either): left for the planner too, never removed blind.
        if (state === undefined || state === 'running' || state === 'created' || state === 'restarting') return created.id;
      }
      const leftover = created;
      if (leftover) await this.limits.removals(() => leftover.remove({ force: true })).catch(() => undefined);
      if (statusOf(error) === 404 && /image/i.test(reason(error))) {
        throw new FleetError('FLEET_IMAGE_MISSING', `image ${spec.image} not found on the engine`);
      }
      throw engineError(`cannot start a member from ${spec.image}`, error, this.address);
    }
  }

  /** A container's state as the engine tells it (`running`, `created`, `exited`…); undefined when it cannot say. */
  async containerState(id: string): Promise<string | undefined> {
    try {
      const info = await this.limits.inspects(() => this.api.getContainer(id).inspect());
      return info.State?.Status;
    } catch (error) {
      return statusOf(error) === 404 ? 'gone' : undefined;
    }
  }

  /** Graceful stop (the image's SIGQUIT, then SIGKILL after `graceSeconds`), then removal; 0 removes at once. */
  stopAndRemove(id: string, graceSeconds: number): Promise<void> {
    return this.limits.removals(() => this.stopAndRemoveNow(id, graceSeconds));
  }

  private async stopAndRemoveNow(id: string, graceSeconds: number): Promise<void> {
    const container = this.api.getContainer(id);
    try {
      if (graceSeconds > 0) await container.stop({ t: graceSeconds }).catch(ignoreStatus(304, 404));
      await container.remove({ force: true }).catch(ignoreStatus(404));
    } catch (error) {
      throw engineError(`cannot remove container ${id.slice(0, 12)}`, error, this.address);
    }
  }

  /** Runs a command in a container; resolves with its output, rejects on a non-zero exit. */
  async exec(id: string, cmd: string[]): Promise<string> {
    const { output, code } = await execOutput(this.api, id, cmd);
    if (code !== 0) throw new Error(`${cmd[0]} exited with ${code}: ${output.trim()}`);
    return output;
  }

  /**
   * Starts the member's list reader (`fleet-set-members --follow`) on a long-lived exec with
   * stdin attached: the daemon writes one list per line, the reader answers one line each.
   * On the stream client (no request timeout): the session stays open for the member's life.
   */
  async openListSession(id: string): Promise<SessionStream> {
    let socket: Duplex;
    try {
      // On the stream client (no timeout of its own): the open is bounded here, so a stalled
      // engine cannot hold a slot of the exec limit for ever; a session opened too late is closed.
      socket = await this.limits.execs(() =>
        bounded(
          (async () => {
            const exec = await this.stream.getContainer(id).exec({ Cmd: ['fleet-set-members', '--follow'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
            return exec.start({ hijack: true, stdin: true });
          })(),
          SESSION_OPEN_TIMEOUT_MS,
          (late) => late.destroy(),
        ),
      );
    } catch (error) {
      throw engineError(`cannot start the list reader in ${id.slice(0, 12)}`, error, this.address);
    }
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    this.stream.modem.demuxStream(socket, stdout, stderr);
    const lines: ((line: string) => void)[] = [];
    const closers: ((reason: string) => void)[] = [];
    let buffered = '';
    let problem = '';
    stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        for (const handler of lines) handler(line);
      }
    });
    // The reader's stderr says why it stopped, when it says anything.
    stderr.on('data', (chunk: Buffer) => (problem = (problem + chunk.toString('utf8')).slice(-200)));
    let ended = false;
    const end = (reason: string): void => {
      if (ended) return;
      ended = true;
      socket.destroy();
      for (const handler of closers) handler(problem.trim() ? `${reason} (${problem.trim()})` : reason);
    };
    socket.once('end', () => end('the reader exited'));
    socket.once('close', () => end('the connection closed'));
    socket.once('error', (error: Error) => end(error.message));
    return {
      write: (text) => {
        if (!ended) socket.write(text);
      },
      close: () => {
        if (ended) return;
        socket.end();
        setTimeout(() => end('closed by the daemon'), 1_000).unref();
      },
      onLine: (handler) => lines.push(handler),
      onClose: (handler) => closers.push(handler),
    };
  }

  /** Writes the member list into a container, retrying passing faults; a gone container is final. */
  async pushList(id: string, ips: readonly string[]): Promise<void> {
    await pRetry(
      async () => {
        try {
          await this.limits.execs(() => this.exec(id, ['fleet-set-members', ...ips]));
        } catch (error) {
          const status = statusOf(error);
          if (status === 404 || status === 409) throw new AbortError(reason(error));
          throw error;
        }
      },
      { retries: 3, minTimeout: 50, factor: 3 },
    );
  }

  /**
   * Follows the fleet's container events until `signal` aborts, reconnecting with backoff.
   * `onConnect` runs on every (re)connection, so the caller can resync what it missed.
   */
  async follow(fleet: string, onEvent: (event: MemberEvent) => void, onConnect: () => void, onDrop: (error: string) => void, signal: AbortSignal): Promise<void> {
    await followContainerEvents(this.stream, { label: [`${LABEL_FLEET}=${fleet}`], event: [...MEMBERSHIP_EVENTS] }, onEvent, onConnect, onDrop, signal, reason);
  }

  /** The image's config (user, exposed ports), or undefined when the engine has no such image. */
  async imageConfig(image: string): Promise<ImageConfig | undefined> {
    try {
      const info = await this.limits.inspects(() => this.api.getImage(image).inspect());
      return info.Config;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw engineError(`cannot inspect image ${image}`, error, this.address);
    }
  }

  /** Builds an image from a directory, reporting each progress line. */
  async buildImage(image: string, contextDir: string, files: string[], onProgress: (line: string) => void): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.stream.buildImage({ context: path.resolve(contextDir), src: files }, { t: image, rm: true, forcerm: true });
    } catch (error) {
      throw engineError(`cannot build ${image}`, error, this.address);
    }
    const failure = await new Promise<string | undefined>((resolve) => {
      this.stream.modem.followProgress(
        stream,
        (error: Error | null, output: { error?: string }[]) => resolve(error ? error.message : output.find((o) => o.error)?.error),
        (event: { stream?: string; status?: string; error?: string }) => {
          const line = (event.stream ?? event.status ?? event.error ?? '').trimEnd();
          if (line) onProgress(line);
        },
      );
    });
    if (failure === undefined) return;
    if (/pull access denied|manifest unknown|dial tcp|lookup .* on|no such host|i\/o timeout|TLS handshake|connection refused|network is unreachable|Get "?https?:/i.test(failure)) {
      throw new FleetError(
        'FLEET_IMAGE_BASE_UNAVAILABLE',
        `cannot build ${image}: its base image alpine:3.10 cannot be pulled (${failure.split('\n')[0].trim()}); without a registry, build the stand-in with "npm run image:offline" and run "fleet up --image fleet-nginx:offline"`,
      );
    }
    throw new FleetError('FLEET_IMAGE_BUILD_FAILED', `cannot build ${image}: ${failure.split('\n')[0].trim()}`);
  }
}

/** Runs `cmd` in a container: its stdout and stderr together, and its exit code. */
export async function execOutput(api: Docker, id: string, cmd: string[]): Promise<{ output: string; code: number | null }> {
  const exec = await api.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Readable;
  const output = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(demux(Buffer.concat(chunks))));
  });
  return { output, code: (await exec.inspect()).ExitCode };
}

// Docker multiplexes stdout and stderr on a non-TTY exec: 8-byte frame headers.
function demux(buffer: Buffer): string {
  let out = '';
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    out += buffer.subarray(offset + 8, offset + 8 + size).toString('utf8');
    offset += 8 + size;
  }
  return out;
}
