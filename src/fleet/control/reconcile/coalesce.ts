// Runs a task at most once per burst, one run at a time: the first trigger schedules a run
// `delayMs` later and the triggers until then join it; a trigger during a run schedules
// exactly one more. A throttle, not a debounce: a steady stream of Docker events cannot put
// the run off forever.

/** What the coalescer schedules with: the host's timers, or a test's clock. */
export interface Timers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

export class Coalescer {
  private timer: unknown;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly delayMs: number,
    private readonly onError: (error: unknown) => void,
    private readonly timers: Timers = globalThis,
  ) {}

  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = this.timers.setTimeout(() => void this.run(), this.delayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    this.running = true;
    this.again = false;
    try {
      await this.task();
    } catch (error) {
      this.onError(error);
    } finally {
      this.running = false;
      if (this.again) this.trigger();
    }
  }
}
