// Polls members on their own addresses, each in a loop of its own with a short pause over a
// kept-alive connection of its own, so that a dead or slow address never holds the others up.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemberConnection, parseList } from './http.mjs';

/**
 * GETs each watched IP every `intervalMs` until `finished(ip)` says so, `stop()` or the
 * deadline; every answer goes to `onAnswer(ip, list, sent, received)` with the served list
 * (null for a refusal, an error status or a timeout) and performance.now() times.
 */
export class ListPoller {
  constructor({ port, intervalMs, deadline, onAnswer, finished = () => false }) {
    this.port = port;
    this.intervalMs = intervalMs;
    this.deadline = deadline;
    this.onAnswer = onAnswer;
    this.finished = finished;
    this.loops = new Set();
    this.stopped = false;
    this.requests = 0;
  }

  watch(ip) {
    if (this.loops.has(ip) || this.stopped) return;
    this.loops.add(ip);
    const connection = new MemberConnection(ip, this.port);
    void (async () => {
      while (!this.stopped && performance.now() < this.deadline && !this.finished(ip)) {
        let list = null;
        const sent = performance.now();
        this.requests++;
        try {
          const r = await connection.get(500);
          if (r.status === 200) list = parseList(r.body);
        } catch {
          // refused, unreachable or slow: this member does not serve a list now
        }
        if (this.stopped) break;
        this.onAnswer(ip, list, sent, performance.now());
        await sleep(this.intervalMs);
      }
      connection.drop();
    })();
  }

  stop() {
    this.stopped = true;
  }
}
