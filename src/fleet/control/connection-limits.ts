// How the fleet's connection limit is shared out: each worker takes an even share, within
// its own descriptors (a process each, two descriptors per connection).
import { DEFAULT_MAX_CONNECTIONS } from '../config.js';
import { type FileLimit, connectionBudget } from '../data/open-files.js';

export interface ConnectionShare {
  /** What each worker accepts at once. */
  perWorker: number;
  /** What the fleet accepts at once: every worker's share. */
  total: number;
  /** Set when the operator asked for more than the descriptors allow: worth a warning. */
  short: boolean;
}

/** `asked` undefined: as many as the open-files limit allows, up to the default. */
export function shareConnections(asked: number | undefined, workers: number, files: FileLimit | undefined): ConnectionShare {
  const perWorker = connectionBudget(Math.ceil((asked ?? DEFAULT_MAX_CONNECTIONS) / workers), files);
  const total = perWorker * workers;
  return { perWorker, total, short: asked !== undefined && total < asked };
}
