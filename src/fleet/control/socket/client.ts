// The CLI's side of the control socket: calls one route of protocol.ts and checks the answer
// against it. The call is bounded by a deadline, never by the socket going quiet.
import http from 'node:http';
import { CONTROL_MAX_REPLY_BYTES } from '../../config.js';
import { FleetError, INTERNAL_ERROR_CODE } from '../../errors.js';
import { socketPath as fleetSocketPath } from '../../names.js';
import { ControlChannelError, DaemonBugError, NoDaemonError } from './errors.js';
import { ROUTES, type RequestOf, type ResponseOf, type RouteName, check, isErrorBody } from './protocol.js';

export interface CallOptions {
  /** How long to wait for the whole answer instead of the route's own time. */
  timeoutMs?: number;
  /** The socket to call instead of the fleet's own in the run directory. */
  socketPath?: string;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

export function call<K extends RouteName>(fleet: string, name: K, body: RequestOf<K>, options: CallOptions = {}): Promise<ResponseOf<K>> {
  const route = ROUTES[name];
  const path = options.socketPath ?? fleetSocketPath(fleet);
  const timeoutMs = options.timeoutMs ?? route.timeoutMs;
  const what = `${route.method} ${route.path}`;
  const badReply = (problem: string): ControlChannelError =>
    new ControlChannelError('FLEET_CONTROL_BAD_REPLY', `fleet "${fleet}" answered ${what} on ${path} with ${problem}`);

  // What the answer means: the route's result, or the error it stands for.
  const interpret = (status: number, bytes: Buffer): ResponseOf<K> | Error => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      return badReply(`something that is not JSON (status ${status})`);
    }
    if (status === 200) {
      const result = check(route.response, parsed);
      return result.ok ? result.value : badReply(`an unexpected shape: ${result.problem}`);
    }
    const error = check(isErrorBody, parsed);
    if (!error.ok) return badReply(`status ${status} and no error of fleet's: ${error.problem}`);
    const { code, error: message } = error.value;
    if (status >= 500 || code === INTERNAL_ERROR_CODE) return new DaemonBugError(`fleet "${fleet}" failed inside its daemon: ${message}`);
    return new FleetError(code, message);
  };

  return new Promise<ResponseOf<K>>((resolve, reject) => {
    let done = false;
    const settle = (outcome: ResponseOf<K> | Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const payload = route.method === 'GET' ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        socketPath: path,
        agent: false,
        method: route.method,
        path: route.path,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= CONTROL_MAX_REPLY_BYTES) chunks.push(chunk);
          else {
            settle(badReply(`more than ${CONTROL_MAX_REPLY_BYTES} bytes`));
            req.destroy();
          }
        });
        res.on('end', () => settle(interpret(res.statusCode ?? 0, Buffer.concat(chunks))));
        res.on('error', (error) => settle(new ControlChannelError('FLEET_CONTROL_UNREACHABLE', `fleet "${fleet}" broke off its answer to ${what} on ${path}: ${error.message}`)));
      },
    );
    const timer = setTimeout(() => {
      settle(new ControlChannelError('FLEET_CONTROL_TIMEOUT', `fleet "${fleet}" did not answer ${what} within ${seconds(timeoutMs)} on ${path}`));
      req.destroy();
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') settle(new NoDaemonError(fleet, path));
      else settle(new ControlChannelError('FLEET_CONTROL_UNREACHABLE', `cannot talk to fleet "${fleet}" on ${path}: ${error.message}`));
    });
    req.end(payload);
  });
}
