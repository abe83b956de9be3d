// Everything fleet names, from the fleet's name: Docker names, and where the control socket lives.
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { NAME_PATTERN, memberName, networkName, runDir, socketPath } from '../../src/fleet/names.js';

t.test('fleet names: lowercase letters, digits, _ and -, up to 30, not starting with _ or -', async (t) => {
  const cases: [string, boolean][] = [
    ['fleet', true],
    ['a', true],
    ['0blue', true],
    ['blue_green-2', true],
    ['a'.repeat(30), true],
    ['a'.repeat(31), false],
    ['', false],
    ['-blue', false],
    ['_blue', false],
    ['Blue', false],
    ['blue.green', false],
    ['blue green', false],
    ['blue/green', false],
    ['blue\n', false],
  ];
  for (const [name, ok] of cases) t.equal(NAME_PATTERN.test(name), ok, `${JSON.stringify(name)} is ${ok ? '' : 'not '}a fleet name`);
});

t.test('Docker names carry the fleet name', async (t) => {
  t.equal(networkName('blue'), 'fleet-blue');
  t.equal(memberName('blue', '1a2b3c4d'), 'fleet-blue-1a2b3c4d');
});

t.test('the socket directory: FLEET_RUN_DIR, then XDG_RUNTIME_DIR/fleet, then a per-user temp dir', async (t) => {
  const uid = process.getuid?.() ?? 'user';
  const cases: [NodeJS.ProcessEnv, string][] = [
    [{ FLEET_RUN_DIR: '/run/f', XDG_RUNTIME_DIR: '/run/user/1' }, '/run/f'],
    [{ XDG_RUNTIME_DIR: '/run/user/1' }, '/run/user/1/fleet'],
    [{ FLEET_RUN_DIR: '', XDG_RUNTIME_DIR: '/run/user/1' }, '/run/user/1/fleet'],
    [{}, path.join(os.tmpdir(), `fleet-${uid}`)],
  ];
  for (const [env, dir] of cases) {
    t.equal(runDir(env), dir, JSON.stringify(env));
    t.equal(socketPath('blue', env), path.join(dir, 'blue.sock'), `the socket in ${dir}`);
  }
});
