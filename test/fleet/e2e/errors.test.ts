// Bad input: one line on stderr naming what was wrong, a non-zero exit, nothing made.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IMAGE, RUN_ID, docker, fleet, fleetName, registerCleanup, requireEngine } from './harness.js';

const replicas: [string, RegExp][] = [
  ['0', /^Error: invalid value for --replicas: expected to be in the \[1; 250\] range \(got 0\)\n$/],
  ['-1', /^Error: invalid value for --replicas: expected to be in the \[1; 250\] range \(got -1\)\n$/],
  ['100000', /^Error: invalid value for --replicas: expected to be in the \[1; 250\] range \(got 100000\)\n$/],
  ['abc', /^Error: invalid value for --replicas: expected a number \(got "abc"\)\n$/],
  ['2.5', /^Error: invalid value for --replicas: expected to be an integer \(got 2.5\)\n$/],
];

for (const [value, message] of replicas) {
  t.test(`--replicas ${value} is refused`, async (t) => {
    const name = fleetName('bad');
    const result = await fleet(['up', '--replicas', value, '--name', name]);
    t.not(result.code, 0, 'non-zero exit');
    t.match(result.stderr, message, 'one line naming the flag');
    t.equal(result.stdout, '', 'nothing on stdout');
  });
}

const usage: [string, string[], RegExp][] = [
  ['an unknown flag', ['add', '--bogus'], /^Error: unknown flag: --bogus\nUsage:\n {2}fleet add/],
  ['a bad fleet name', ['status', '--name', 'Bad Name'], /^Error: invalid value for --name: expected to match the pattern .*\(got "Bad Name"\)\n$/],
  ['a bad --count', ['add', '--count', '0'], /^Error: invalid value for --count: expected to be in the \[1; 250\] range \(got 0\)\n$/],
  ['a bad --log-level', ['up', '--log-level', 'LOUD'], /^Error: invalid value for --log-level: expected one of DEBUG, INFO, WARNING, ERROR \(got "LOUD"\)\n$/],
  ['an unknown command', ['launch'], /^Error: /],
  ['a --member-memory that is not a size', ['up', '--member-memory', 'lots'], /^Error: invalid value for --member-memory: expected a size such as 64m or 1g, from 32m to 4g \(got "lots"\)\n$/],
  ['a --member-memory too small', ['up', '--member-memory', '16m'], /^Error: invalid value for --member-memory: expected a size .* from 32m to 4g \(got "16m"\)\n$/],
  ['a --member-memory too large', ['up', '--member-memory', '128g'], /^Error: invalid value for --member-memory: expected a size .* from 32m to 4g \(got "128g"\)\n$/],
  ['a --member-cpus that is not a number', ['up', '--member-cpus', 'half'], /^Error: invalid value for --member-cpus: expected a number of CPUs from 0\.1 to 1, such as 0\.5 \(got "half"\)\n$/],
  ['a --member-cpus above one worker', ['up', '--member-cpus', '2'], /^Error: invalid value for --member-cpus: expected a number of CPUs from 0\.1 to 1, such as 0\.5 \(got "2"\)\n$/],
  ['a --member-cpus of zero', ['up', '--member-cpus', '0'], /^Error: invalid value for --member-cpus: expected a number of CPUs from 0\.1 to 1, such as 0\.5 \(got "0"\)\n$/],
];

for (const [what, args, message] of usage) {
  t.test(`${what} is refused in one line`, async (t) => {
    const result = await fleet(args);
    t.not(result.code, 0);
    t.match(result.stderr, message);
    t.notMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });
}

for (const command of ['status', 'add', 'remove', 'down']) {
  t.test(`${command} on a fleet that is not running`, async (t) => {
    if (!(await requireEngine(t))) return;
    const name = fleetName('none');
    const result = await fleet([command, '--name', name]);
    t.equal(result.code, 1);
    t.match(result.stderr, new RegExp(`^Error: fleet "${name}" is not running.*\\n$`));
  });
}

t.test('an engine that is down is named, fast, and nothing is left behind', async (t) => {
  const name = fleetName('noengine');
  const started = Date.now();
  const result = await fleet(['up', '--name', name, '--replicas', '1'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
  t.equal(result.code, 1);
  t.match(result.stderr, /^Error: cannot reach the Docker engine at unix:\/\/\/nonexistent\/docker\.sock: .*\n$/);
  t.ok(Date.now() - started < 10_000, 'within seconds');

  const tcp = await fleet(['status', '--name', name], { DOCKER_HOST: 'tcp://127.0.0.1:1' });
  t.match(tcp.stderr, /not running/, 'status needs no engine to say the fleet is not running');
  const down = await fleet(['down', '--name', name], { DOCKER_HOST: 'tcp://127.0.0.1:1' });
  t.match(down.stderr, /^Error: cannot reach the Docker engine at tcp:\/\/127\.0\.0\.1:1: .*\n$/, 'down names the tcp address');
});

t.test('an image that does not exist is named', async (t) => {
  if (!(await requireEngine(t))) return;
  const name = fleetName('noimage');
  const result = await fleet(['up', '--name', name, '--image', `fleet-missing-${name}:nope`]);
  t.equal(result.code, 1);
  t.match(result.stderr, /^Error: image fleet-missing-\S+ not found on the engine/);
  t.equal(await docker('network', 'ls', '-q', '--filter', `name=^fleet-${name}$`), '', 'no network made');
});

t.test('an image not built for unprivileged members is refused, naming what is wrong', async (t) => {
  if (!(await requireEngine(t))) return;
  const name = fleetName('stale');
  // A daemon that wrongly accepted the image would start a fleet: take it down too.
  registerCleanup(t, name);
  const stale = `fleet-test-stale:${RUN_ID}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-stale-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${IMAGE}\nUSER 0\n`);
  await docker('build', '-q', '--label', `fleet.test=${RUN_ID}`, '-t', stale, dir);
  t.teardown(() => docker('rmi', stale));
  const result = await fleet(['up', '--name', name, '--image', stale]);
  t.equal(result.code, 1);
  t.equal(result.stderr, `Error: image ${stale} is not a current fleet member image (it runs as "0", not 10101:10101); rebuild it from images/nginx (the stand-in: npm run image:offline)\n`);
  t.equal(await docker('network', 'ls', '-q', '--filter', `name=^fleet-${name}$`), '', 'no network made');
});
