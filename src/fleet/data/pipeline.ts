// Pipelining by RFC 9112 §9.3.2 and §9.6: answers leave a connection in request order, and
// once the balancer refuses a request (or a request asks to close), nothing parsed behind
// it on that connection reaches a member. Node's server already keeps its own responses in
// order; what it does not order are answers written straight to the socket (a parse
// error's 400, CONNECT's 501), nor does it stop parsing after a refusal.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** One client connection's requests: the newest response owed on it, and whether it has ended. */
interface Line {
  last: ServerResponse | undefined;
  ended: boolean;
}

export class Pipeline {
  private readonly lines = new WeakMap<Socket, Line>();

  /** Records a request's response as the newest owed; false when the line has ended and the request must be dropped. */
  admit(socket: Socket, res: ServerResponse): boolean {
    const line = this.lines.get(socket);
    if (line === undefined) {
      this.lines.set(socket, { last: res, ended: false });
      return true;
    }
    if (line.ended) return false;
    line.last = res;
    return true;
  }

  /** Nothing parsed on this socket from now on is forwarded. */
  end(socket: Socket): void {
    const line = this.lines.get(socket);
    if (line === undefined) this.lines.set(socket, { last: undefined, ended: true });
    else line.ended = true;
  }

  ended(socket: Socket): boolean {
    return this.lines.get(socket)?.ended === true;
  }

  /** Runs `write` once every response owed on the socket is out (at once when none is). */
  afterResponses(socket: Socket, write: () => void): void {
    const last = this.lines.get(socket)?.last;
    // `destroyed` is set as a response's 'close' is emitted: after its last byte, or when cut.
    // A request still arriving is the broken one itself (a bad chunk, a trickled body): no
    // answer of its own is owed first.
    if (last !== undefined && !last.destroyed && last.req.complete) last.once('close', write);
    else write();
  }
}
