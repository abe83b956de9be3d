// What Node 10 (Alpine 3.10's nodejs) lacks of the runtime fleet and dkr-ls are written
// for, added only to the node10 bundles that the alpine:3.10 images run. esbuild lowers
// the syntax; these are the library calls.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment */
import http from 'node:http';
import { EventEmitter } from 'node:events';

const g = global as any;

if (typeof Promise.allSettled !== 'function') {
  (Promise as any).allSettled = (promises: Iterable<unknown>) =>
    Promise.all(
      Array.from(promises, (p) =>
        Promise.resolve(p).then(
          (value) => ({ status: 'fulfilled', value }),
          (reason: unknown) => ({ status: 'rejected', reason }),
        ),
      ),
    );
}

if (typeof g.AbortController !== 'function') {
  class AbortSignalShim {
    aborted = false;
    reason: unknown = undefined;
    onabort: ((event: unknown) => void) | null = null;
    private readonly emitter = new EventEmitter();
    addEventListener(type: string, listener: (event: unknown) => void, options?: { once?: boolean }): void {
      if (options?.once) this.emitter.once(type, listener);
      else this.emitter.on(type, listener);
    }
    removeEventListener(type: string, listener: (event: unknown) => void): void {
      this.emitter.removeListener(type, listener);
    }
    throwIfAborted(): void {
      if (this.aborted) throw this.reason;
    }
    dispatch(reason: unknown): void {
      if (this.aborted) return;
      this.aborted = true;
      this.reason = reason;
      const event = { type: 'abort', target: this };
      this.onabort?.(event);
      this.emitter.emit('abort', event);
    }
  }
  class AbortControllerShim {
    readonly signal = new AbortSignalShim();
    abort(reason?: unknown): void {
      this.signal.dispatch(reason ?? Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }));
    }
  }
  g.AbortController = AbortControllerShim;
  g.AbortSignal = AbortSignalShim;
}

if (typeof (String.prototype as any).matchAll !== 'function') {
  (String.prototype as any).matchAll = function* (this: string, regexp: RegExp) {
    const re = new RegExp(regexp.source, regexp.flags.includes('g') ? regexp.flags : regexp.flags + 'g');
    let match: RegExpExecArray | null;
    while ((match = re.exec(this)) !== null) {
      yield match;
      if (match[0] === '') re.lastIndex++;
    }
  };
}

// Node 18.2 added these; on Node 10 server.close() already waits for requests in flight,
// and fleet destroys its own idle sockets (see Balancer), so a no-op keeps the calls safe.
const proto = http.Server.prototype as any;
if (typeof proto.closeIdleConnections !== 'function') proto.closeIdleConnections = function () {};
if (typeof proto.closeAllConnections !== 'function') proto.closeAllConnections = function () {};
