// What the control socket's tests share: a private run directory, a real ControlServer on a
// unix socket in it with handlers that record their calls, and raw HTTP over that socket.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { run } from '../../../../src/fleet/cli.js';
import type { FleetContext } from '../../../../src/fleet/commands/context.js';
import { ControlServer, type ControlServerOptions } from '../../../../src/fleet/control/socket/server.js';
import type { DownResult, FleetStatus, Handlers, ScaleRequest } from '../../../../src/fleet/control/socket/protocol.js';
import type { Tap } from '../../../support.js';

export const STATUS: FleetStatus = { name: 'fake', desired: 1, port: 8080, host: '127.0.0.1', image: 'fleet-nginx:offline', pid: 1, members: [], workers: [] };
export const DOWN: DownResult = { removedContainers: 0, removedNetwork: false };

/** A directory only this user can enter, removed after the test. */
export function tempRunDir(t: Tap): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-control-'));
  fs.chmodSync(dir, 0o700);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A promise the test settles when it likes; teardown settles it so nothing waits forever. */
export function gate(t: Tap): { wait: Promise<void>; open: () => void } {
  let open = (): void => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  t.teardown(() => open());
  return { wait, open };
}

export interface Served {
  socketPath: string;
  /** The bodies each handler was called with, in order. */
  calls: { route: keyof Handlers; body: unknown }[];
  bugs: string[];
}

/** A ControlServer on `socketPath`; handlers answer canned results unless `overrides` replaces them. */
export async function serve(t: Tap, socketPath: string, overrides: Partial<Handlers> = {}, options: ControlServerOptions = {}): Promise<Served> {
  const served: Served = { socketPath, calls: [], bugs: [] };
  const handlers: Handlers = {
    status: (body) => {
      served.calls.push({ route: 'status', body });
      return overrides.status ? overrides.status(body) : Promise.resolve(STATUS);
    },
    scale: (body: ScaleRequest) => {
      served.calls.push({ route: 'scale', body });
      return overrides.scale ? overrides.scale(body) : Promise.resolve({ added: [], removed: [], status: STATUS });
    },
    reload: (body) => {
      served.calls.push({ route: 'reload', body });
      return overrides.reload ? overrides.reload(body) : Promise.resolve({ workers: [] });
    },
    rollout: (body) => {
      served.calls.push({ route: 'rollout', body });
      return overrides.rollout ? overrides.rollout(body) : Promise.resolve({ image: body.image, previous: 'i', started: [], removed: [], status: STATUS });
    },
    down: (body) => {
      served.calls.push({ route: 'down', body });
      return overrides.down ? overrides.down(body) : Promise.resolve(DOWN);
    },
  };
  const server = new ControlServer(socketPath, handlers, { onBug: (call) => served.bugs.push(call), ...options });
  await server.listen();
  t.teardown(() => server.close());
  return served;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: unknown;
  /** The server closed the connection after answering. */
  closed: boolean;
}

/** Parses one HTTP/1.1 answer with a Content-Length, as the bytes came off the socket. */
export function parseAnswer(bytes: Buffer, closed: boolean): RawAnswer {
  const text = bytes.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no HTTP answer in ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = text.slice(split + 4);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body, json, closed };
}

/** Sends `request` as it is and reads until the server closes the connection (at most 10 s). */
export async function raw(socketPath: string, request: string | Buffer): Promise<RawAnswer> {
  const { bytes, closed } = await new Promise<{ bytes: Buffer; closed: boolean }>((resolve) => {
    const socket = net.connect(socketPath);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), closed: false });
    }, 10_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset after the answer (the server closed with our bytes unread) still ends the exchange.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(chunks), closed: true });
    });
    socket.end(request);
  });
  return parseAnswer(bytes, closed);
}

/** A request head and body with the right Content-Length. */
export function request(method: string, target: string, body = ''): string {
  return `${method} ${target} HTTP/1.1\r\nHost: fleet\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function fleetInProcess(argv: string[], extra: Partial<FleetContext> = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await run(argv, { stdin: new PassThrough(), stdout, stderr, env: process.env, colorDepth: 1, ...extra });
  return { code, stdout: out, stderr: err };
}

/** Points the CLI's run directory (FLEET_RUN_DIR) at `dir` for this test. */
export function useRunDir(t: Tap, dir: string): void {
  const before = process.env.FLEET_RUN_DIR;
  process.env.FLEET_RUN_DIR = dir;
  t.teardown(() => {
    if (before === undefined) delete process.env.FLEET_RUN_DIR;
    else process.env.FLEET_RUN_DIR = before;
  });
}
