// `fleet agent`'s flags, run in-process: a bad one is one line on stderr and a non-zero exit,
// before the agent touches Docker or the network.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { fleetInProcess } from '../control/socket/helpers.js';

const fleet = fleetInProcess;

t.test('bad flags: one line, a non-zero exit', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-agent-flags-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const short = path.join(dir, 'short');
  fs.writeFileSync(short, 'tooshort\n');
  const missing = path.join(dir, 'missing');
  const cases: [string, string[], RegExp][] = [
    ['no selector', ['agent'], /needs at least one --selector KEY=VALUE/],
    ['a selector without a value', ['agent', '--selector', 'io.fleet.role'], /invalid value for --selector/],
    ['a selector with a space', ['agent', '--selector', 'a=b c'], /invalid value for --selector/],
    ['a port that is not a number', ['agent', '--selector', 'a=b', '--port', 'http'], /invalid value for --port/],
    ['a port out of range', ['agent', '--selector', 'a=b', '--port', '70000'], /invalid value for --port/],
    ['a converge timeout too short', ['agent', '--selector', 'a=b', '--converge-timeout', '5'], /invalid value for --converge-timeout/],
    ['an unknown log level', ['agent', '--selector', 'a=b', '--log-level', 'loud'], /invalid value for --log-level/],
    ['a missing secret file', ['agent', '--selector', 'a=b', '--secret-file', missing], new RegExp(`cannot read the secret file ${missing}: ENOENT`)],
    ['a short secret', ['agent', '--selector', 'a=b', '--secret-file', short], /the secret must be at least 16 bytes \(got 8\)/],
  ];
  for (const [what, argv, want] of cases) {
    const result = await fleet(argv);
    t.not(result.code, 0, `${what}: a non-zero exit`);
    t.match(result.stderr, want, `${what}: says so`);
    t.equal(result.stderr.trim().split('\n').length, 1, `${what}: on one line`);
    t.equal(result.stdout, '', `${what}: nothing on stdout`);
  }
});
