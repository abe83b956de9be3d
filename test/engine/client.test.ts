// The engine client against local servers: a unix socket, tcp, errors, timeouts.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { EngineClient } from '../../src/engine/client.js';
import { freePort } from '../support.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

function tmpSocket(t: Teardown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-client-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'engine.sock');
}

async function serve(t: Teardown, listen: string | number, handler: http.RequestListener): Promise<http.Server> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => (typeof listen === 'string' ? server.listen(listen, resolve) : server.listen(listen, '127.0.0.1', resolve)));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return server;
}

t.test('GETs JSON over a unix socket, with the API version and query in the path', async (t) => {
  const socket = tmpSocket(t);
  const seen: string[] = [];
  await serve(t, socket, (req, res) => {
    seen.push(req.url ?? '');
    res.end('[{"Id":"sha256:1"}]');
  });
  const client = new EngineClient({ env: { DOCKER_HOST: `unix://${socket}` }, apiVersion: '1.41' });
  t.same(await client.getJson('/images/json', { all: false, skip: undefined }), [{ Id: 'sha256:1' }]);
  t.same(seen, ['/v1.41/images/json?all=false']);
  const unversioned = new EngineClient({ env: { DOCKER_HOST: `unix://${socket}` } });
  await unversioned.getJson('/images/json');
  t.equal(seen[1], '/images/json');
  const fromEnv = new EngineClient({ env: { DOCKER_HOST: `unix://${socket}`, DOCKER_API_VERSION: '1.40' } });
  await fromEnv.getJson('/info');
  t.equal(seen[2], '/v1.40/info', 'DOCKER_API_VERSION sets the prefix');
});

t.test('GETs JSON over tcp', async (t) => {
  const port = await freePort();
  await serve(t, port, (_req, res) => res.end('{"ok":true}'));
  const client = new EngineClient({ env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
  t.same(await client.getJson('/_ping'), { ok: true });
});

t.test('failures are EngineErrors that name the address', async (t) => {
  const missing = new EngineClient({ env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
  await t.rejects(missing.getJson('/images/json'), {
    code: 'ENGINE_UNREACHABLE',
    message: /^cannot reach the Docker engine at unix:\/\/\/nonexistent\.sock: connect ENOENT \/nonexistent\.sock$/,
  });
  const port = await freePort();
  const refused = new EngineClient({ env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
  await t.rejects(refused.getJson('/images/json'), {
    code: 'ENGINE_UNREACHABLE',
    message: new RegExp(`^cannot reach the Docker engine at tcp://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`),
  });

  const socket = tmpSocket(t);
  await serve(t, socket, (req, res) => {
    if (req.url === '/404') {
      res.writeHead(404);
      res.end('{"message":"page not found"}');
    } else if (req.url === '/text') res.end('not json');
    else if (req.url === '/hang') res.flushHeaders();
  });
  const client = new EngineClient({ env: { DOCKER_HOST: `unix://${socket}` }, responseTimeoutMs: 200 });
  await t.rejects(client.getJson('/404'), { code: 'ENGINE_HTTP_ERROR', status: 404, message: `the Docker engine at unix://${socket} answered 404 to GET /404: page not found` });
  await t.rejects(client.getJson('/text'), { code: 'ENGINE_BAD_RESPONSE', message: `the Docker engine at unix://${socket} sent a body that is not JSON for GET /text` });
  await t.rejects(client.getJson('/hang'), { code: 'ENGINE_TIMEOUT', message: `the Docker engine at unix://${socket} did not answer within 200 ms` });
});

t.test('a connection that never completes times out with the address', async (t) => {
  // A listening socket whose backlog is full leaves new connections pending. Simpler and
  // portable: a non-routable address (TEST-NET-1) never answers the SYN.
  const client = new EngineClient({ env: { DOCKER_HOST: 'tcp://192.0.2.1:2375' }, connectTimeoutMs: 300 });
  const started = Date.now();
  const error = await client.getJson('/images/json').then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );
  // Where the host has no route at all the kernel refuses at once: unreachable, not a timeout.
  if (error?.code === 'ENGINE_UNREACHABLE') t.match(error.message, /^cannot reach the Docker engine at tcp:\/\/192\.0\.2\.1:2375: /);
  else t.same(error, { code: 'ENGINE_TIMEOUT', message: 'cannot reach the Docker engine at tcp://192.0.2.1:2375: no connection within 300 ms' });
  t.ok(Date.now() - started < 5000, 'within a few seconds');
});

t.test('TLS without its files says which files and where', async (t) => {
  const client = new EngineClient({ env: { DOCKER_HOST: 'tcp://127.0.0.1:1', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent-certs' } });
  await t.rejects(client.getJson('/images/json'), { code: 'ENGINE_TLS_FILES', message: /^cannot use TLS for the Docker engine at tcp:\/\/127\.0\.0\.1:1: .*\/nonexistent-certs\/ca\.pem.*\(set DOCKER_CERT_PATH\)$/ });
});
