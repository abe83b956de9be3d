// The engine's container event stream, followed until a signal aborts: reconnected with
// backoff whenever it drops, split into NDJSON lines by split2, each event reduced to its
// action and container id. `onConnect` runs on every (re)connection so the caller can
// re-list what it may have missed (level-triggered: a lost event heals there).
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import pRetry from 'p-retry';
import split2 from 'split2';

export interface ContainerEventFilters {
  label: string[];
  event: string[];
}

export interface RawContainerEvent {
  action: string;
  id: string;
}

export async function followContainerEvents(
  docker: Docker,
  filters: ContainerEventFilters,
  onEvent: (event: RawContainerEvent) => void,
  onConnect: () => void,
  onDrop: (reason: string) => void,
  signal: AbortSignal,
  describe: (error: unknown) => string = (error) => (error instanceof Error ? error.message : String(error)),
): Promise<void> {
  while (!signal.aborted) {
    const stream = await pRetry(
      async () => (await docker.getEvents({ filters: { type: ['container'], label: filters.label, event: filters.event } })) as unknown as Readable,
      { forever: true, minTimeout: 200, maxTimeout: 5_000, signal, onFailedAttempt: (e) => onDrop(describe(e)) },
    ).catch(() => undefined);
    if (!stream || signal.aborted) {
      stream?.destroy();
      return;
    }
    onConnect();
    await new Promise<void>((resolve) => {
      const abort = (): void => {
        stream.destroy();
      };
      signal.addEventListener('abort', abort, { once: true });
      stream.pipe(split2()).on('data', (line: string) => {
        if (!line.trim()) return;
        try {
          const event = JSON.parse(line) as { Action?: string; status?: string; id?: string; Actor?: { ID?: string } };
          onEvent({ action: event.Action ?? event.status ?? '', id: event.Actor?.ID ?? event.id ?? '' });
        } catch {
          // A torn line from a dropped stream: the re-list on reconnect covers it.
        }
      });
      const done = (): void => {
        signal.removeEventListener('abort', abort);
        if (!signal.aborted) onDrop('event stream closed');
        resolve();
      };
      stream.once('end', done);
      stream.once('close', done);
      stream.once('error', done);
    });
    if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
