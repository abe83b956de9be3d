// The control channel: HTTP on a unix socket in a directory only this user can enter,
// the socket itself owner-only. The network never reaches it.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { FleetError, isFleetError, messageOf } from '../../errors.js';
import type { ErrorBody } from './protocol.js';

export type Route = (body: Record<string, unknown>) => Promise<unknown>;

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

export class ControlServer {
  private readonly server: http.Server;

  constructor(
    private readonly socketPath: string,
    routes: Record<string, Route>,
  ) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const route = routes[`${req.method} ${req.url}`];
        const send = (status: number, body: unknown): void => {
          const text = JSON.stringify(body);
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
          res.end(text);
        };
        if (!route) {
          send(404, { error: `no such control call: ${req.method} ${req.url}`, code: 'FLEET_BAD_INPUT' } satisfies ErrorBody);
          return;
        }
        let body: Record<string, unknown> = {};
        try {
          body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
        } catch {
          send(400, { error: 'the control request is not JSON', code: 'FLEET_BAD_INPUT' } satisfies ErrorBody);
          return;
        }
        route(body).then(
          (result) => send(200, result),
          (error: unknown) =>
            send(isFleetError(error) ? 409 : 500, { error: messageOf(error), code: isFleetError(error) ? error.code : 'FLEET_INTERNAL' } satisfies ErrorBody),
        );
      });
    });
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
