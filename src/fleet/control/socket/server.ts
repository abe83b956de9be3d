// The control channel: HTTP on a unix socket in a directory only this user can enter,
// the socket itself owner-only. The network never reaches it. Every request is checked
// against its route (protocol.ts) before a handler sees it, and no body is read past the
// limit: a refusal is a 4xx, a handler's bug a 500, each a JSON ErrorBody with its code.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { CONTROL_MAX_BODY_BYTES } from '../../config.js';
import { FleetError, type FleetErrorCode, INTERNAL_ERROR_CODE, isFleetError, messageOf } from '../../errors.js';
import { type ErrorBody, type Handlers, ROUTES, type RouteName, check } from './protocol.js';

export interface ControlServerOptions {
  /** Requests with a larger body get a 413; the default is CONTROL_MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  /** Hears of a handler's bug (anything but a FleetError) before it is answered with a 500. */
  onBug?: (call: string, error: unknown) => void;
}

/** Makes the run directory (0700) and refuses one that another user owns or can enter. */
export function prepareRunDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.statSync(dir);
  const uid = process.getuid?.();
  if ((uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0) {
    throw new FleetError('FLEET_SOCKET_UNSAFE', `refusing control directory ${dir}: it must be owned by this user with mode 0700`);
  }
}

/** True when something answers on the socket. */
export function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const BY_PATH = new Map<string, RouteName>((Object.keys(ROUTES) as RouteName[]).map((name) => [ROUTES[name].path, name]));

/** The HTTP status of a FleetError a handler throws: the caller's mistake, or a state that forbids the call. */
function statusOf(code: FleetErrorCode): number {
  return code === 'FLEET_BAD_INPUT' ? 400 : 409;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

type Body = { ok: true; bytes: Buffer } | { ok: false; reason: 'too large' | 'aborted' };

// Reads at most `max` bytes: past that it stops reading at once, so a huge body costs one chunk.
function readBody(req: http.IncomingMessage, max: number): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData);
        req.pause();
        resolve({ ok: false, reason: 'too large' });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve({ ok: true, bytes: Buffer.concat(chunks) }));
    req.once('aborted', () => resolve({ ok: false, reason: 'aborted' }));
    req.once('error', () => resolve({ ok: false, reason: 'aborted' }));
  });
}

export class ControlServer {
  private readonly server: http.Server;
  private readonly maxBodyBytes: number;

  constructor(
    private readonly socketPath: string,
    private readonly handlers: Handlers,
    private readonly options: ControlServerOptions = {},
  ) {
    this.maxBodyBytes = options.maxBodyBytes ?? CONTROL_MAX_BODY_BYTES;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.bug(req, res, error));
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const pathname = (req.url ?? '').split('?')[0];
    const call = `${req.method ?? '?'} ${pathname}`;
    const name = BY_PATH.get(pathname);
    if (name === undefined) return this.refuse(req, res, 404, 'FLEET_CONTROL_NOT_FOUND', `no such control call: ${call}`);
    const route = ROUTES[name];
    if (req.method !== route.method) {
      return this.refuse(req, res, 405, 'FLEET_CONTROL_METHOD_NOT_ALLOWED', `${route.path} takes ${route.method}, not ${req.method ?? '?'}`, { allow: route.method });
    }
    const tooLarge = `the body of ${call} is larger than ${this.maxBodyBytes} bytes`;
    if (Number(req.headers['content-length'] ?? 0) > this.maxBodyBytes) return this.refuse(req, res, 413, 'FLEET_CONTROL_TOO_LARGE', tooLarge);
    const body = await readBody(req, this.maxBodyBytes);
    if (!body.ok) {
      if (body.reason === 'too large') this.refuse(req, res, 413, 'FLEET_CONTROL_TOO_LARGE', tooLarge);
      return;
    }
    const text = body.bytes.toString('utf8');
    let value: unknown = {};
    if (text.trim() !== '') {
      try {
        value = JSON.parse(text);
      } catch {
        return this.refuse(req, res, 400, 'FLEET_CONTROL_BAD_REQUEST', `the body of ${call} is not JSON`);
      }
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.refuse(req, res, 400, 'FLEET_CONTROL_BAD_REQUEST', `the body of ${call} must be a JSON object, not ${kindOf(value)}`);
    }
    await this.dispatch(name, value, call, res);
  }

  private async dispatch<K extends RouteName>(name: K, value: unknown, call: string, res: http.ServerResponse): Promise<void> {
    const route = ROUTES[name];
    const checked = check(route.request, value);
    if (!checked.ok) return this.send(res, 400, { code: 'FLEET_CONTROL_BAD_REQUEST', error: `${call}: ${checked.problem}` });
    let answer: string;
    try {
      answer = JSON.stringify(await this.handlers[name](checked.value));
    } catch (error) {
      if (!isFleetError(error)) throw error;
      return this.send(res, statusOf(error.code), { code: error.code, error: error.message });
    }
    this.write(res, 200, answer, false);
  }

  private bug(req: http.IncomingMessage, res: http.ServerResponse, error: unknown): void {
    const call = `${req.method ?? '?'} ${req.url ?? ''}`;
    this.options.onBug?.(call, error);
    if (res.headersSent) res.destroy();
    else this.send(res, 500, { code: INTERNAL_ERROR_CODE, error: `${call} failed: ${messageOf(error)}` });
  }

  // Answers without reading what is left of the body, and closes the connection so none of it is read later.
  private refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, code: FleetErrorCode, error: string, headers: http.OutgoingHttpHeaders = {}): void {
    res.once('finish', () => req.socket.destroy());
    this.send(res, status, { code, error }, headers);
  }

  private send(res: http.ServerResponse, status: number, body: ErrorBody, headers: http.OutgoingHttpHeaders = {}): void {
    this.write(res, status, JSON.stringify(body), true, headers);
  }

  private write(res: http.ServerResponse, status: number, text: string, close: boolean, headers: http.OutgoingHttpHeaders = {}): void {
    res.writeHead(status, {
      ...headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...(close ? { connection: 'close' } : {}),
    });
    res.end(text);
  }

  async listen(): Promise<void> {
    prepareRunDir(path.dirname(this.socketPath));
    if (fs.existsSync(this.socketPath)) {
      if (await socketAnswers(this.socketPath)) {
        throw new FleetError('FLEET_ALREADY_RUNNING', `fleet is already running (control socket ${this.socketPath} answers)`);
      }
      fs.unlinkSync(this.socketPath);
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(this.socketPath, 0o600);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      try {
        fs.unlinkSync(this.socketPath);
      } catch {
        // Already gone.
      }
    });
  }
}
