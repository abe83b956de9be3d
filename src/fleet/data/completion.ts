// The one place a request is seen to its end. Each request the balancer takes gets a record
// when it arrives; the balancer writes on it which member the latest attempt went to and how
// many attempts there were; when the response closes (after its last byte, or when it is
// cut), the record is handed to the metrics (answers that completed) and to the access log
// (every request, 499 when the client left before any answer). Nothing is listened for
// when neither is wanted.
import type http from 'node:http';
import type { RequestDone } from './request-done.js';
import type { RequestObserver } from './request-stats.js';

/** What the balancer knows of one request while it is in progress. */
export interface RequestRecord {
  /** The member of the latest attempt; unset while none was picked. */
  member: string | undefined;
  /** Attempts so far, counting the first. */
  attempts: number;
}

export interface CompletionSinks {
  /** The metrics: told of every answer that completed. */
  observer?: RequestObserver;
  /** The access log: told of every request, whatever way it ended. */
  log?: (info: RequestDone) => void;
}

/** Starts watching a request; the record returned is the balancer's to fill in. */
export function watchCompletion(req: http.IncomingMessage, res: http.ServerResponse, sinks: CompletionSinks): RequestRecord {
  const record: RequestRecord = { member: undefined, attempts: 0 };
  const { observer, log } = sinks;
  if (!observer && !log) return record;
  const started = performance.now();
  const socket = req.socket;
  const sentBefore = socket.bytesWritten;
  // 'close' comes once per response: after 'finish' for a completed answer, or when it is cut.
  res.once('close', () => {
    const ms = performance.now() - started;
    if (observer && res.writableFinished) observer.answered(record.member, res.statusCode, ms, record.attempts);
    log?.({
      client: socket.remoteAddress ?? '',
      method: req.method ?? '',
      path: req.url ?? '',
      status: res.headersSent ? res.statusCode : 499,
      bytes: socket.bytesWritten - sentBefore,
      durationMs: ms,
      member: record.member,
    });
  });
  return record;
}
