// fleet's Docker client reaches the engine DOCKER_HOST names, read once by src/engine/address.ts
// (as dkr-ls reads it), and a DOCKER_HOST it cannot use is one line naming it.
import t from 'tap';
import { Engine } from '../../../src/fleet/docker/engine.js';
import { isFleetError } from '../../../src/fleet/errors.js';

function withEnv<T>(env: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

t.test('the address fleet names is the one it uses', async (t) => {
  const cases: [string | undefined, string][] = [
    [undefined, 'unix:///var/run/docker.sock'],
    ['', 'unix:///var/run/docker.sock'],
    ['unix:///run/other.sock', 'unix:///run/other.sock'],
    [' tcp://10.0.0.1:2375 ', 'tcp://10.0.0.1:2375'],
  ];
  for (const [host, want] of cases) {
    t.equal(withEnv({ DOCKER_HOST: host, DOCKER_TLS_VERIFY: undefined }, () => new Engine().address), want, String(host));
  }
});

t.test('a DOCKER_HOST fleet cannot use is refused in one line', async (t) => {
  const cases: [Record<string, string | undefined>, RegExp][] = [
    [{ DOCKER_HOST: 'ssh://user@host' }, /^DOCKER_HOST=ssh:\/\/user@host is not supported/],
    [{ DOCKER_HOST: 'unix://' }, /^DOCKER_HOST=unix:\/\/ names no socket path$/],
    [{ DOCKER_HOST: 'tcp://' }, /^DOCKER_HOST=tcp:\/\/ is not a valid tcp:\/\/ address$/],
    [{ DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent' }, /^cannot use TLS for the Docker engine at tcp:\/\/127\.0\.0\.1:2376: .*\/nonexistent\/ca\.pem/],
  ];
  for (const [env, message] of cases) {
    let error: unknown;
    withEnv(env, () => {
      try {
        new Engine();
      } catch (e) {
        error = e;
      }
    });
    t.ok(isFleetError(error) && error.code === 'FLEET_ENGINE_BAD_HOST', `${JSON.stringify(env)}: FLEET_ENGINE_BAD_HOST`);
    t.match((error as Error).message, message);
    t.notMatch((error as Error).message, /\n/, 'one line');
  }
});
