// What the balancer tells its hook about each request once it is over (answered, refused or
// cut): the access log reads it, and nothing on the request path waits for it.

export interface RequestDone {
  /** The client's address as the balancer's socket sees it. */
  client: string;
  method: string;
  /** The request target as sent (path and query). */
  path: string;
  /** The status sent; 499 when the client left before any answer (nginx's convention). */
  status: number;
  /** Bytes sent to the client for this request, headers included. */
  bytes: number;
  /** From the request's headers in to the answer's last byte out (or the cut). */
  durationMs: number;
  /** The member of the last attempt; undefined when none was picked (refused, no member). */
  member: string | undefined;
}
