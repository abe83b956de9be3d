import t from 'tap';
import { formatTable } from '../../src/cli/table.js';

t.test('columns align like Go tabwriter(minwidth 10, padding 3)', async (t) => {
  const cases: [string[][], string][] = [
    [[['A', 'B']], 'A         B\n'],
    [
      [
        ['REPOSITORY', 'TAG', 'SIZE'],
        ['nginx', 'latest', '133MB'],
      ],
      'REPOSITORY   TAG       SIZE\nnginx        latest    133MB\n',
    ],
    [
      [
        ['a-very-long-repository-name', 'x', '1B'],
        ['b', 'a-long-tag', '2B'],
      ],
      'a-very-long-repository-name   x            1B\nb                             a-long-tag   2B\n',
    ],
    [[['only']], 'only\n'],
    [
      [
        ['r', 't', 'c', 's'],
        ['', '', 'TOTAL', '1MB'],
      ],
      'r         t         c         s\n                    TOTAL     1MB\n',
    ],
    [[['é', 'x']], 'é         x\n'],
  ];
  for (const [lines, want] of cases) t.equal(formatTable(lines), want, JSON.stringify(lines));
});

t.test('a column block ends at a line without that column, as in tabwriter', async (t) => {
  const out = formatTable([['long-cell-here', 'x'], ['single'], ['a', 'b']]);
  t.equal(out, 'long-cell-here   x\nsingle\na         b\n');
});
