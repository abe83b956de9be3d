// Request framing, as RFC 9112 §6 asks of an intermediary: a request whose body length
// two parsers could read differently is refused, never forwarded. Node's parser already
// rejects most of these; this is the rule fleet itself enforces, on the raw header lines,
// so a lenient parser (or a future one) cannot let a smuggled request through.

export type Framing =
  | { ok: true; body: 'none' | 'chunked' | number }
  | { ok: false; status: 400 | 501; code: 'FLEET_BAD_FRAMING' | 'FLEET_UNSUPPORTED_CODING'; reason: string };

const DIGITS = /^[0-9]+$/;
// uri-host [ ":" port ] (RFC 3986): reg-name or IPv4 characters, or an IP literal in brackets.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+)(?::[0-9]*)?$/;
const FORBIDDEN_IN_VALUE = /[\r\n\0]/;

function bad(reason: string): Framing {
  return { ok: false, status: 400, code: 'FLEET_BAD_FRAMING', reason };
}

const NO_BODY: Framing = Object.freeze({ ok: true, body: 'none' });

// The last Host value that passed HOST: clients send the same one on request after request.
let goodHost = '';

/** Reads the framing of a request from its raw header lines (name, value, name, value…). */
export function checkFraming(rawHeaders: readonly string[], httpVersion: string): Framing {
  const lengths: string[] = [];
  const codings: string[] = [];
  let hosts = 0;
  let hostValue = '';
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const raw = rawHeaders[i];
    const value = rawHeaders[i + 1];
    if (FORBIDDEN_IN_VALUE.test(value)) return bad(`header ${raw} holds a line break or NUL`);
    // Only names of these lengths can be one of the three: most lines skip toLowerCase.
    if (raw.length !== 4 && raw.length !== 14 && raw.length !== 17) continue;
    const name = raw.toLowerCase();
    if (name === 'content-length') lengths.push(value.trim());
    else if (name === 'transfer-encoding') codings.push(...value.split(',').map((c) => c.trim().toLowerCase()));
    else if (name === 'host') {
      hosts++;
      hostValue = value.trim();
    }
  }

  if (hosts > 1) return bad('more than one Host header');
  if (hosts === 0 && httpVersion !== '1.0') return bad('no Host header');
  if (hosts === 1 && hostValue !== goodHost) {
    if (!HOST.test(hostValue)) return bad('an invalid Host header');
    goodHost = hostValue;
  }

  if (codings.length > 0) {
    if (httpVersion === '1.0') return bad('Transfer-Encoding in an HTTP/1.0 request');
    if (lengths.length > 0) return bad('both Content-Length and Transfer-Encoding');
    if (codings[codings.length - 1] !== 'chunked') return bad('a Transfer-Encoding whose final coding is not chunked');
    if (codings.filter((c) => c === 'chunked').length > 1) return bad('chunked applied more than once');
    if (codings.length > 1) {
      return { ok: false, status: 501, code: 'FLEET_UNSUPPORTED_CODING', reason: `transfer coding ${codings.slice(0, -1).join(', ')} is not supported` };
    }
    return { ok: true, body: 'chunked' };
  }

  if (lengths.length > 1) return bad('more than one Content-Length');
  if (lengths.length === 1) {
    const value = lengths[0];
    if (!DIGITS.test(value)) return bad(`an invalid Content-Length (${JSON.stringify(value.slice(0, 20))})`);
    const length = Number(value);
    if (!Number.isSafeInteger(length)) return bad('a Content-Length too large to represent');
    return length === 0 ? NO_BODY : { ok: true, body: length };
  }
  return NO_BODY;
}
