import t from 'tap';
import { joinNegativeValues, oneLine } from '../../src/cli/run.js';

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
