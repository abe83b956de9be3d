// Time in unit tests is tap's make-believe clock (@tapjs/clock), never the wall clock: a test
// advances it, and between steps lets the event loop run what the step made ready.
import { Clock } from '@tapjs/clock';
import type { Tap } from './support.js';

// Taken before any clock replaces it: a turn of the event loop, not a wait.
const realImmediate = globalThis.setImmediate;
const realClearImmediate = globalThis.clearImmediate;

/** One turn of the real event loop: promises and I/O that are ready run, no time passes. */
export const turn = (): Promise<void> => new Promise((resolve) => realImmediate(resolve));

export interface TestClock {
  readonly clock: Clock;
  /** Lets `ms` pass on the clock, a millisecond at a time, the event loop turning between. */
  pass: (ms: number) => Promise<void>;
  /** Lets time pass until `condition` holds, at most `ms`; says whether it held. */
  until: (condition: () => boolean, ms?: number) => Promise<boolean>;
}

/** A make-believe clock in place of the globals' timers and Date until the test ends. */
export function testClock(t: Tap): TestClock {
  const clock = new Clock();
  t.teardown(clock.enter());
  // An immediate is a turn of the event loop, not time: the clock's own would fire one set
  // while it advances in that same advance, before the promises already settled run.
  globalThis.setImmediate = realImmediate;
  globalThis.clearImmediate = realClearImmediate;
  return {
    clock,
    pass: async (ms) => {
      for (let i = 0; i < ms; i++) {
        await turn();
        clock.advance(1);
      }
      await turn();
    },
    until: async (condition, ms = 2_000) => {
      for (let i = 0; i < ms && !condition(); i++) {
        await turn();
        if (condition()) break;
        clock.advance(1);
      }
      return condition();
    },
  };
}
