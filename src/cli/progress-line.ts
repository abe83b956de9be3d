// One line of progress at the bottom of a terminal, redrawn in place, under the log lines
// that go to the same terminal: each log line first clears it, and it is drawn again below.
// Both go through one destination, so a line never lands in the middle of the other, and
// the progress never blocks either (the destination does not wait).
import type { LogDestination } from '../log/destination.js';

/** Back to column 0 and erase the line (ECMA-48 EL). */
const CLEAR = '\r\x1b[K';

export class ProgressLine implements LogDestination {
  private text = '';

  constructor(
    private readonly inner: LogDestination,
    private readonly columns: () => number | undefined = () => undefined,
  ) {}

  get dropped(): number {
    return this.inner.dropped;
  }

  get backlog(): number {
    return this.inner.backlog;
  }

  get failed(): string | undefined {
    return this.inner.failed;
  }

  /**
   * Shows `text` in place of what the line showed. The cursor is left at column 0, so a line
   * from another process (a worker's log) overwrites the progress instead of running on after it.
   */
  show(text: string): void {
    const width = this.columns();
    // A line wider than the terminal wraps, and \r then redraws only its last row.
    this.text = width !== undefined && width > 1 && text.length >= width ? text.slice(0, width - 1) : text;
    this.inner.write(`${CLEAR}${this.text}\r`);
  }

  /** Erases the line for good: what follows starts on a clean line. */
  clear(): void {
    if (this.text === '') return;
    this.text = '';
    this.inner.write(CLEAR);
  }

  write(line: string): void {
    this.inner.write(this.text === '' ? line : `${CLEAR}${line}${this.text}\r`);
  }
}
