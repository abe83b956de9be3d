import t from 'tap';
import { joinNegativeValues, oneLine, unknownFlag, usageOptionNames } from '../../src/cli/run.js';

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

t.test('usage lines give the accepted option names', async (t) => {
  t.same([...usageOptionNames('fleet add [--count #0] [--name #0]')].sort(), ['--count', '--help', '--name', '-h']);
  t.same([...usageOptionNames('dkr-ls tags [-v,--verbose] [--sum]')].sort(), ['--help', '--sum', '--verbose', '-h', '-v']);
});

t.test('the first flag a usage does not accept is the unknown one', async (t) => {
  const usage = 'dkr-ls repos [--prefix #0] [--minAge #0]';
  t.equal(unknownFlag(['repos', '--prefix', 'a', '--maxTags', '3'], usage), '--maxTags');
  t.equal(unknownFlag(['repos', '--maxTags=3'], usage), '--maxTags');
  t.equal(unknownFlag(['repos', '--prefix', 'a'], usage), undefined);
  t.equal(unknownFlag(['repos', '--', '--weird'], usage), undefined, 'nothing after -- is a flag');
});

t.test('multi-line validation reports fold into one line', async (t) => {
  t.equal(oneLine('Invalid value for --x:\n\n- expected a number\n- expected an integer'), 'Invalid value for --x: expected a number; expected an integer');
  t.equal(oneLine('one line'), 'one line');
});
