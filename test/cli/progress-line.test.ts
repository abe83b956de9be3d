// The progress line and the log lines through one destination: what the terminal receives.
import t from 'tap';
import { ProgressLine } from '../../src/cli/progress-line.js';
import type { LogDestination } from '../../src/log/destination.js';

class Collected implements LogDestination {
  readonly chunks: string[] = [];
  dropped = 0;
  backlog = 0;
  failed = undefined;
  write(line: string): void {
    this.chunks.push(line);
  }
}

type Step = ['show', string] | ['log', string] | ['clear'];

const CASES: { what: string; steps: Step[]; columns?: number; out: string[] }[] = [
  { what: 'a log line with no progress shown passes as it is', steps: [['log', 'a\n']], out: ['a\n'] },
  { what: 'progress is drawn in place, the cursor left at column 0', steps: [['show', '1/4']], out: ['\r\x1b[K1/4\r'] },
  {
    what: 'a log line clears the progress, then the progress is drawn below it, in one write',
    steps: [
      ['show', '1/4'],
      ['log', 'a\n'],
    ],
    out: ['\r\x1b[K1/4\r', '\r\x1b[Ka\n1/4\r'],
  },
  {
    what: 'after clear, lines pass as they are and clear twice writes nothing more',
    steps: [['show', '2/4'], ['clear'], ['clear'], ['log', 'b\n']],
    out: ['\r\x1b[K2/4\r', '\r\x1b[K', 'b\n'],
  },
  { what: 'a progress wider than the terminal is cut so it never wraps', steps: [['show', '0123456789']], columns: 6, out: ['\r\x1b[K01234\r'] },
  { what: 'nothing to clear when nothing was shown', steps: [['clear']], out: [] },
];

t.test('what reaches the terminal', async (t) => {
  for (const c of CASES) {
    const inner = new Collected();
    const line = new ProgressLine(inner, () => c.columns);
    for (const step of c.steps) {
      if (step[0] === 'show') line.show(step[1]);
      else if (step[0] === 'log') line.write(step[1]);
      else line.clear();
    }
    t.same(inner.chunks, c.out, c.what);
  }
});
