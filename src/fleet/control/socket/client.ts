// The CLI's side of the control socket.
import http from 'node:http';
import { FleetError, type FleetErrorCode } from '../../errors.js';
import { socketPath } from '../../names.js';
import type { ErrorBody } from './protocol.js';

export async function call<T>(fleet: string, method: 'GET' | 'POST', route: string, body?: unknown, timeoutMs = 120_000): Promise<T> {
  const path = socketPath(fleet);
  return new Promise<T>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { socketPath: path, agent: false, method, path: route, timeout: timeoutMs, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            reject(new FleetError('FLEET_NOT_RUNNING', `fleet "${fleet}" answered something that is not JSON on ${path}`));
            return;
          }
          if (res.statusCode === 200) resolve(parsed as T);
          else {
            const error = parsed as ErrorBody;
            reject(new FleetError((error.code as FleetErrorCode) ?? 'FLEET_BAD_INPUT', error.error));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
        reject(new FleetError('FLEET_NOT_RUNNING', `fleet "${fleet}" is not running (no daemon answers on ${path})`));
      } else reject(new FleetError('FLEET_NOT_RUNNING', `cannot talk to fleet "${fleet}" on ${path}: ${error.message}`));
    });
    req.end(payload);
  });
}
