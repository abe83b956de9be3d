// A small Docker engine client: GET a JSON resource over node:http or node:https. dkr-ls
// uses this rather than dockerode, whose bundle (docker-modem, ssh2, grpc-js, protobufjs)
// costs more at start-up than the whole listing; see the README's benchmark.
import http from 'node:http';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { type EngineAddress, type Env, connectionOf, resolveEngineAddress } from './address.js';
import { EngineError, unreachableMessage } from './errors.js';

export interface EngineClientOptions {
  address?: EngineAddress;
  /** How long to wait for the connection (ms). */
  connectTimeoutMs?: number;
  /** How long the engine may stay silent once connected (ms). */
  responseTimeoutMs?: number;
  /** `1.41` puts `/v1.41` before every path; unset lets the engine pick (DOCKER_API_VERSION sets it too). */
  apiVersion?: string;
  env?: Env;
}

export type QueryValue = string | number | boolean | undefined;

export class EngineClient {
  readonly address: EngineAddress;
  private readonly connectTimeoutMs: number;
  private readonly responseTimeoutMs: number;
  private readonly prefix: string;

  constructor(options: EngineClientOptions = {}) {
    const env = options.env ?? process.env;
    this.address = options.address ?? resolveEngineAddress(env);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 3000;
    this.responseTimeoutMs = options.responseTimeoutMs ?? 10000;
    const version = options.apiVersion ?? env.DOCKER_API_VERSION;
    this.prefix = version ? `/v${version.replace(/^v/, '')}` : '';
  }

  /** The request path with the API version prefix and query string. */
  path(resource: string, query: Record<string, QueryValue> = {}): string {
    const params: string[] = [];
    for (const key of Object.keys(query)) {
      const value = query[key];
      if (value !== undefined) params.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
    }
    return this.prefix + resource + (params.length ? `?${params.join('&')}` : '');
  }

  /** GETs `resource` and parses its JSON body; any failure is an EngineError naming the address. */
  async getJson(resource: string, query: Record<string, QueryValue> = {}): Promise<unknown> {
    const { options, transport } = await requestOptions(this.address);
    const requestPath = this.path(resource, query);
    options.method = 'GET';
    options.path = requestPath;
    options.headers = { Host: this.address.kind === 'unix' ? 'docker' : `${this.address.host}:${this.address.port}`, Accept: 'application/json' };
    options.agent = false;
    const { status, body } = await this.send(transport, options);
    const display = this.address.display;
    if (status < 200 || status > 299) {
      throw new EngineError(
        'ENGINE_HTTP_ERROR',
        display,
        `the Docker engine at ${display} answered ${status} to GET ${requestPath}: ${engineMessage(body)}`,
        status,
      );
    }
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw new EngineError('ENGINE_BAD_RESPONSE', display, `the Docker engine at ${display} sent a body that is not JSON for GET ${requestPath}`);
    }
  }

  // One request with both timeouts: connecting, then silence once connected.
  private send(transport: typeof http, options: RequestOptions): Promise<{ status: number; body: string }> {
    const display = this.address.display;
    const unreachable = (reason: string) =>
      new EngineError('ENGINE_UNREACHABLE', display, unreachableMessage(display, reason));
    return new Promise((resolve, reject) => {
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined;
      const fail = (error: EngineError) => {
        if (settled) return;
        settled = true;
        if (connectTimer) clearTimeout(connectTimer);
        request.destroy();
        reject(error);
      };
      const request = transport.request(options, (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error: Error) => fail(unreachable(error.message)));
        response.on('end', () => {
          if (settled) return;
          settled = true;
          if (connectTimer) clearTimeout(connectTimer);
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      request.on('error', (error: Error) => fail(unreachable(error.message)));
      connectTimer = setTimeout(
        () => fail(new EngineError('ENGINE_TIMEOUT', display, unreachableMessage(display, `no connection within ${this.connectTimeoutMs} ms`))),
        this.connectTimeoutMs,
      );
      request.on('socket', (socket) => {
        const connected = () => {
          if (connectTimer) clearTimeout(connectTimer);
          connectTimer = undefined;
          request.setTimeout(this.responseTimeoutMs, () =>
            fail(new EngineError('ENGINE_TIMEOUT', display, `the Docker engine at ${display} did not answer within ${this.responseTimeoutMs} ms`)),
          );
        };
        if ((socket as { connecting?: boolean }).connecting === false) connected();
        else socket.once('connect', connected);
      });
      request.end();
    });
  }
}

// https is loaded only for TLS engines: most runs talk to a unix socket.
async function requestOptions(address: EngineAddress): Promise<{ options: RequestOptions; transport: typeof http }> {
  const connection = connectionOf(address);
  if ('socketPath' in connection) return { options: { socketPath: connection.socketPath }, transport: http };
  if (!connection.tls) return { options: { host: connection.host, port: connection.port }, transport: http };
  const https = await import('node:https');
  return {
    options: { host: connection.host, port: connection.port, ...connection.tls },
    transport: https.default as unknown as typeof http,
  };
}

// The engine's errors are {"message": "..."}.
function engineMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.trim().slice(0, 200) || '(empty body)';
}
