import t from 'tap';
import { EXIT, joinNegativeValues, oneLine } from '../../src/cli/run.js';
import { fleetInProcess } from '../fleet/control/socket/helpers.js';

t.test('a negative value is joined to its flag', async (t) => {
  const cases: [string[], string[]][] = [
    [['up', '--replicas', '-1'], ['up', '--replicas=-1']],
    [['up', '--replicas', '3'], ['up', '--replicas', '3']],
    [['tags', '--maxTags', '-2', '--sum'], ['tags', '--maxTags=-2', '--sum']],
    [['tags', '-h'], ['tags', '-h']],
    [['x', '--a', '--b'], ['x', '--a', '--b']],
  ];
  for (const [argv, want] of cases) t.same(joinNegativeValues(argv), want, argv.join(' '));
});

t.test('multi-line validation reports fold into one line', async (t) => {
  t.equal(oneLine('Invalid value for --x:\n\n- expected a number\n- expected an integer'), 'Invalid value for --x: expected a number; expected an integer');
  t.equal(oneLine('one line'), 'one line');
});

// Each kind of bad command line, through fleet's real CLI in-process: one line (the usage
// after an unknown flag), nothing on stdout, exit 2. Nothing here reaches a daemon.
t.test('a bad command line is told by its kind, in one line', async (t) => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown flag', ['add', '--bogus'], /^Error: unknown flag: --bogus\nUsage:\n {2}fleet add \[--count #0\] \[--name #0\] \[--stack #0\]\n\nRun "fleet add --help" for more\.\n$/],
    ['a switch given a value', ['status', '--json=1'], /^Error: unknown flag: --json\nUsage:\n {2}fleet status/],
    ['a flag without its value', ['add', '--count'], /^Error: flag needs an argument: --count\n$/],
    ['a flag whose value is another flag', ['add', '--count', '--name', 'x'], /^Error: flag needs an argument: --count\n$/],
    ['a value its validator refuses', ['add', '--count', '0'], /^Error: invalid value for --count: expected to be in the \[1; 250\] range \(got 0\)\n$/],
    ['a negative value', ['remove', '--count', '-1'], /^Error: invalid value for --count: expected to be in the \[1; 250\] range \(got -1\)\n$/],
    ['a cross-flag rule', ['up', '--header-timeout', '5000', '--request-timeout', '4000'], /^Error: --header-timeout \(5000\) must not exceed --request-timeout \(4000\)\n$/],
    ['a single-host flag beside --stack', ['up', '--stack', 'web', '--replicas', '7'], /^Error: --replicas does not apply with --stack: the stack file sets the members \(deploy\/swarm\/stack\.yaml\)\n$/],
    ['a member setting beside --stack', ['up', '--stack', 'web', '--image', 'nginx:1'], /^Error: --image does not apply with --stack: /],
    ['an unknown command', ['launch'], /^Error: unknown command "launch" for "fleet"\nRun "fleet --help" for usage\.\n$/],
    ['a word the command does not take', ['add', 'now'], /^Error: Extraneous positional argument \("now"\)\.\n$/],
  ];
  for (const [what, argv, stderr] of cases) {
    const result = await fleetInProcess(argv);
    t.equal(result.code, EXIT.usage, `${what}: exit ${EXIT.usage}`);
    t.match(result.stderr, stderr, `${what}: ${argv.join(' ')}`);
    t.equal(result.stdout, '', `${what}: nothing on stdout`);
  }
});
