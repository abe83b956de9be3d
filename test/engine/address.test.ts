import t from 'tap';
import { resolveEngineAddress } from '../../src/engine/address.js';
import { EngineError } from '../../src/engine/errors.js';

t.test('DOCKER_HOST picks the engine the way the docker CLI does', async (t) => {
  const cases: [Record<string, string>, unknown][] = [
    [{}, { kind: 'unix', display: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' }],
    [{ DOCKER_HOST: '' }, { kind: 'unix', display: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' }],
    [{ DOCKER_HOST: 'unix:///tmp/d.sock' }, { kind: 'unix', display: 'unix:///tmp/d.sock', socketPath: '/tmp/d.sock' }],
    [{ DOCKER_HOST: 'tcp://127.0.0.1:2375' }, { kind: 'tcp', display: 'tcp://127.0.0.1:2375', host: '127.0.0.1', port: 2375, tls: undefined }],
    [{ DOCKER_HOST: 'tcp://engine' }, { kind: 'tcp', display: 'tcp://engine', host: 'engine', port: 2375, tls: undefined }],
    [{ DOCKER_HOST: 'tcp://[::1]:2375' }, { kind: 'tcp', display: 'tcp://[::1]:2375', host: '::1', port: 2375, tls: undefined }],
    [
      { DOCKER_HOST: 'tcp://engine', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      { kind: 'tcp', display: 'tcp://engine', host: 'engine', port: 2376, tls: { ca: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/certs/key.pem', verify: true } },
    ],
    [
      { DOCKER_HOST: 'tcp://engine:9999', DOCKER_TLS: '1', HOME: '/home/me' },
      { kind: 'tcp', display: 'tcp://engine:9999', host: 'engine', port: 9999, tls: { ca: '/home/me/.docker/ca.pem', cert: '/home/me/.docker/cert.pem', key: '/home/me/.docker/key.pem', verify: false } },
    ],
  ];
  for (const [env, want] of cases) t.same(resolveEngineAddress(env), want, JSON.stringify(env));
});

t.test('addresses it cannot use are errors that name them', async (t) => {
  for (const host of ['ssh://me@engine', 'npipe:////./pipe/docker_engine', 'unix://', 'tcp://engine:2375/path', 'localhost:2375']) {
    t.throws(() => resolveEngineAddress({ DOCKER_HOST: host }), { code: 'ENGINE_BAD_HOST', address: host }, host);
  }
  t.throws(() => resolveEngineAddress({ DOCKER_HOST: 'ssh://x' }), EngineError);
});
