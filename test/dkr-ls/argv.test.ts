// dkr-ls's argv rewrite, table-driven: every spelling the CLI promises reaches clipanion in
// the one form it binds, and a boolean given a value that is not one is a one-line error.
import t from 'tap';
import { ArgvError, commandWord, flagSpec, normalizeArgv } from '../../src/dkr-ls/argv.js';

const spec = flagSpec([{ definition: '--sum' }, { definition: '--maxTags,--max-tags #0' }, { definition: '--prefix #0' }, { definition: '-h,--help' }]);

t.test('flagSpec reads clipanion definitions', async (t) => {
  t.same([...spec.booleans], ['--sum', '--help'], 'flags without an arity are booleans (short names dropped)');
  t.same(
    [...spec.values],
    [
      ['--maxTags', '--max-tags'],
      ['--max-tags', '--max-tags'],
      ['--prefix', '--prefix'],
    ],
    'each value flag maps to its lowercase spelling',
  );
  t.same([...flagSpec([{ definition: '--minAge #0' }]).values], [['--minAge', '--minAge']], 'with no lowercase spelling, the first name');
});

t.test('commandWord finds the subcommand past flags and their values', async (t) => {
  const values = new Set(['--prefix']);
  const cases: [string[], string | undefined][] = [
    [['tags'], 'tags'],
    [['--sum', 'tags'], 'tags'],
    [['--prefix', 'tags', 'repos'], 'repos'],
    [['--prefix=x', 'tags'], 'tags'],
    [['--', 'tags'], 'tags'],
    [['--sum'], undefined],
    [[], undefined],
  ];
  for (const [argv, word] of cases) t.equal(commandWord(argv, values), word, argv.join(' ') || '(nothing)');
});

t.test('normalizeArgv rewrites every promised spelling', async (t) => {
  const cases: [string[], string[], [string, string][]][] = [
    [['--sum'], ['--sum'], []],
    [['--sum=true'], ['--sum'], []],
    [['--sum=YES'], ['--sum'], []],
    [['--sum=1'], ['--sum'], []],
    [['--sum=false'], ['--no-sum'], []],
    [['--sum=f'], ['--no-sum'], []],
    [['--maxTags', '3'], ['--max-tags=3'], [['--max-tags', '--maxTags']]],
    [['--maxTags=3'], ['--max-tags=3'], [['--max-tags', '--maxTags']]],
    [['--maxTags', '-2'], ['--max-tags=-2'], [['--max-tags', '--maxTags']]],
    [['--max-tags', '3'], ['--max-tags=3'], [['--max-tags', '--max-tags']]],
    [['--maxTags', '--sum'], ['--max-tags', '--sum'], [['--max-tags', '--maxTags']]],
    [['--maxTags'], ['--max-tags'], [['--max-tags', '--maxTags']]],
    [['--maxTags', '--'], ['--max-tags', '--'], [['--max-tags', '--maxTags']]],
    [['--prefix='], ['--prefix='], [['--prefix', '--prefix']]],
    [['--unknown=3', 'x'], ['--unknown=3', 'x'], []],
    [['tags', '--', '--sum=maybe'], ['tags', '--', '--sum=maybe'], []],
  ];
  for (const [argv, out, typed] of cases) t.same(normalizeArgv(argv, spec), { argv: out, typed: new Map(typed) }, argv.join(' '));
});

t.test('a boolean with a value that is not one names the flag and the value', async (t) => {
  for (const [token, value] of [
    ['--sum=maybe', 'maybe'],
    ['--sum=', ''],
    ['--sum=2', '2'],
  ]) {
    const error = t.throws(() => normalizeArgv([token], spec)) as ArgvError;
    t.ok(error instanceof ArgvError, `${token}: an ArgvError (a UsageError)`);
    t.equal(error.flag, '--sum');
    t.equal(error.message, `invalid value for --sum: expected true or false (got ${JSON.stringify(value)})`);
  }
});
