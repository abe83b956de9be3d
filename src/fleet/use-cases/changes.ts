// Which members one command's change started and removed, told by what the controller did
// rather than by comparing two snapshots: a member that a replacement brought or took away
// meanwhile is not the command's doing. The daemon feeds it from the controller's engine
// port (each start and removal as it completes) and its `replacing` hook.
//
// A seam until the controller reports a change's own starts and removals (its settle
// resolving to them): the controller does not say which start is a replacement's, so the
// start that follows a decided replacement is taken for it (the controller starts owed
// replacements before fresh members, in the same pass that decides them).
import type { ControllerEngine } from '../control/reconcile/controller.js';

/** The ids of the members one change started and removed. */
export interface Change {
  started: string[];
  removed: string[];
}

interface Window {
  started: string[];
  /** Starts that look like a replacement's: reported only where the command's own fall short. */
  replacements: string[];
  removed: string[];
}

export class ChangeRecorder {
  private readonly windows = new Set<Window>();
  /** Members being replaced (died, or unhealthy too long): their removal is no command's. */
  private readonly replaced = new Set<string>();
  /** Replacements decided whose start has not begun. */
  private owed = 0;

  /** The controller is replacing `id`: its removal, and the next start, are the replacement's. */
  replacing(id: string): void {
    this.replaced.add(id);
    this.owed++;
  }

  /**
   * A start begins; the function it returns takes the new member's id once it runs. Only
   * the windows open when the start began hear of it: a start already in flight when a
   * command began is not that command's.
   */
  startBegun(): (id: string) => void {
    const replacement = this.owed > 0;
    if (replacement) this.owed--;
    const open = [...this.windows];
    return (id) => {
      for (const w of open) if (this.windows.has(w)) (replacement ? w.replacements : w.started).push(id);
    };
  }

  /** A member was stopped and removed. */
  removed(id: string): void {
    if (this.replaced.delete(id)) return;
    for (const w of this.windows) w.removed.push(id);
  }

  /**
   * Records from now until `stop`, which returns at most `delta` members started (a positive
   * delta) or `-delta` removed (a negative one): what a scale by `delta` did.
   */
  record(): { stop(delta: number): Change } {
    const w: Window = { started: [], replacements: [], removed: [] };
    this.windows.add(w);
    return {
      stop: (delta) => {
        this.windows.delete(w);
        return {
          started: delta > 0 ? [...w.started, ...w.replacements].slice(0, delta) : [],
          removed: delta < 0 ? w.removed.slice(0, -delta) : [],
        };
      },
    };
  }

  /** Records from now until `stop`, which returns every start and removal but a replacement's: what a rollout did. */
  recordAll(): { stop(): Change } {
    const w: Window = { started: [], replacements: [], removed: [] };
    this.windows.add(w);
    return {
      stop: () => {
        this.windows.delete(w);
        return { started: w.started, removed: w.removed };
      },
    };
  }
}

/** What the recorder hears of the controller's engine port: each start and removal as it completes. */
export function recordingEngine<E extends ControllerEngine>(engine: E, recorder: ChangeRecorder): ControllerEngine {
  return {
    listMembers: (fleet) => engine.listMembers(fleet),
    startMember: async (spec) => {
      const begun = recorder.startBegun();
      const id = await engine.startMember(spec);
      begun(id);
      return id;
    },
    stopAndRemove: async (id, graceSeconds) => {
      await engine.stopAndRemove(id, graceSeconds);
      recorder.removed(id);
    },
  };
}
