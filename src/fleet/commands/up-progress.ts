// How `fleet up` shows its members becoming ready: on a terminal, one line redrawn in place
// (`[#####.....] 12/50 members ready`); anywhere else, plain log lines (`fleet.progress`) at
// each quarter of the way and every few seconds while the count moves: no carriage return
// ever reaches a pipe or a file.
import type { Logger } from '../../log.js';
import type { ProgressLine } from '../../cli/progress-line.js';

/** A line at most this often between quarters, when the count moved. */
export const PLAIN_EVERY_MS = 5_000;
const BAR = 20;

/** The quarter of the way `ready` of `desired` has reached: 0 to 4. */
export function quarter(ready: number, desired: number): number {
  return Math.min(4, Math.floor((Math.min(ready, desired) * 4) / desired));
}

export function progressText(ready: number, desired: number): string {
  const shown = Math.min(ready, desired);
  const filled = Math.round((shown / desired) * BAR);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${shown}/${desired} members ready`;
}

export class UpProgress {
  private last = -1;
  private lastQuarter = 0;
  private lastLineAt = 0;
  private ended = false;

  constructor(
    private readonly desired: number,
    private readonly log: Logger,
    /** The terminal's progress line; undefined when stderr is no terminal. */
    private readonly line: ProgressLine | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.lastLineAt = now();
  }

  /** The members ready now (in rotation). */
  update(ready: number): void {
    if (this.ended || ready === this.last) return;
    this.last = ready;
    if (this.line) {
      this.line.show(progressText(ready, this.desired));
      return;
    }
    const reached = quarter(ready, this.desired);
    const now = this.now();
    if (reached > this.lastQuarter || (ready > 0 && now - this.lastLineAt >= PLAIN_EVERY_MS)) {
      this.lastQuarter = Math.max(reached, this.lastQuarter);
      this.lastLineAt = now;
      this.log.info('fleet.progress', { ready: Math.min(ready, this.desired), desired: this.desired });
    }
  }

  /** Start-up is over (served or failed): the terminal line goes, nothing more is shown. */
  end(): void {
    this.ended = true;
    this.line?.clear();
  }
}
