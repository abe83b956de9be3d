// Where the Docker engine is, read from the environment the way the docker CLI reads it:
// DOCKER_HOST (unix:// or tcp://), DOCKER_TLS_VERIFY / DOCKER_TLS and DOCKER_CERT_PATH.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from './errors.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
  verify: boolean;
}

export type EngineAddress =
  | { kind: 'unix'; display: string; socketPath: string }
  | { kind: 'tcp'; display: string; host: string; port: number; tls: TlsFiles | undefined };

export type Env = Record<string, string | undefined>;

/** The engine address DOCKER_HOST names (the default socket when unset or empty). */
export function resolveEngineAddress(env: Env = process.env): EngineAddress {
  const raw = env.DOCKER_HOST === undefined || env.DOCKER_HOST.trim() === '' ? DEFAULT_DOCKER_HOST : env.DOCKER_HOST.trim();
  const scheme = /^([a-z]+):\/\//.exec(raw)?.[1];
  if (scheme === 'unix') {
    const socketPath = raw.slice('unix://'.length);
    if (socketPath === '') throw new EngineError('ENGINE_BAD_HOST', raw, `DOCKER_HOST=${raw} names no socket path`);
    return { kind: 'unix', display: raw, socketPath };
  }
  if (scheme === 'tcp' || scheme === 'http' || scheme === 'https') {
    const verify = nonEmpty(env.DOCKER_TLS_VERIFY);
    const useTls = scheme === 'https' || verify || nonEmpty(env.DOCKER_TLS);
    let url: URL;
    try {
      url = new URL(raw.replace(/^[a-z]+:/, 'http:'));
    } catch {
      throw new EngineError('ENGINE_BAD_HOST', raw, `DOCKER_HOST=${raw} is not a valid tcp:// address`);
    }
    if (url.hostname === '' || (url.pathname !== '/' && url.pathname !== '')) {
      throw new EngineError('ENGINE_BAD_HOST', raw, `DOCKER_HOST=${raw} is not a valid tcp://host:port address`);
    }
    const port = url.port === '' ? (useTls ? 2376 : 2375) : Number(url.port);
    const certDir = nonEmpty(env.DOCKER_CERT_PATH) ? String(env.DOCKER_CERT_PATH) : path.join(env.HOME ?? os.homedir(), '.docker');
    const tls = useTls
      ? { ca: path.join(certDir, 'ca.pem'), cert: path.join(certDir, 'cert.pem'), key: path.join(certDir, 'key.pem'), verify }
      : undefined;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return { kind: 'tcp', display: raw, host, port, tls };
  }
  throw new EngineError(
    'ENGINE_BAD_HOST',
    raw,
    `DOCKER_HOST=${raw} is not supported: use unix:///path/to/docker.sock or tcp://host:port`,
  );
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}

/** What a socket to the engine needs: a unix path, or host and port with TLS files read. */
export type Connection =
  | { socketPath: string }
  | { host: string; port: number; tls: { ca: Buffer; cert: Buffer; key: Buffer; rejectUnauthorized: boolean } | undefined };

export function connectionOf(address: EngineAddress): Connection {
  if (address.kind === 'unix') return { socketPath: address.socketPath };
  const tls = address.tls;
  if (!tls) return { host: address.host, port: address.port, tls: undefined };
  try {
    const files = { ca: fs.readFileSync(tls.ca), cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) };
    return { host: address.host, port: address.port, tls: { ...files, rejectUnauthorized: tls.verify } };
  } catch (error) {
    throw new EngineError(
      'ENGINE_TLS_FILES',
      address.display,
      `cannot use TLS for the Docker engine at ${address.display}: ${(error as Error).message} (set DOCKER_CERT_PATH)`,
    );
  }
}
