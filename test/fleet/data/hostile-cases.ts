// Hostile raw requests: the classic smuggling variants (CL.TE, TE.CL, TE.TE), obs-fold,
// whitespace before the colon, framing headers named in Connection, oversized headers and
// garbage. Shared by the balancer's test (a raw member) and the end-to-end one (nginx).
// Each case is built for a path of its own, so a member's access log tells them apart.

export type Outcome = { refused: number } | { paths: string[]; body?: string };

export interface HostileCase {
  name: string;
  raw: string;
  want: Outcome;
}

const chunk = (text: string): string => `${text.length.toString(16)}\r\n${text}\r\n`;

/** The cases, with `path` as the request's path and `hidden` as the path a smuggled request would have. */
export function hostileCases(path: (index: number) => string, hidden: (index: number) => string): HostileCase[] {
  // [name, the raw request, a status the balancer answers | 'body': forwarded with its body whole | 'pipelined': two requests, two forwarded]
  const table: [string, (p: string, smuggled: string) => string, number | 'body' | 'pipelined'][] = [
    ['CL.TE', (p, _smuggled) => `POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`, 400],
    ['TE.CL', (p, smuggled) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n${smuggled}\r\n0\r\n\r\n`, 400],
    ['TE.TE: a second Transfer-Encoding line', (p, smuggled) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: cow\r\n\r\n0\r\n\r\n${smuggled}`, 400],
    ['TE.TE: whitespace before the colon', (p, _smuggled) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n`, 400],
    ['TE.TE: xchunked', (p, _smuggled) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n`, 400],
    ['TE.TE: chunked, identity', (p, _smuggled) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`, 400],
    ['TE.TE: obs-fold', (p, _smuggled) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`, 400],
    ['obs-fold in another header', (p, _smuggled) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n`, 400],
    ['a bare LF line end', (p, smuggled) => `GET ${p} HTTP/1.1\nHost: x\n\n${smuggled}`, 400],
    ['two Content-Length values', (p, smuggled) => `POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 40\r\n\r\nA${smuggled}`, 400],
    ['a signed Content-Length', (p, _smuggled) => `POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello`, 400],
    ['Transfer-Encoding in HTTP/1.0', (p, smuggled) => `POST ${p} HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`, 400],
    ['a coding before chunked', (p, _smuggled) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 501],
    ['two Host headers', (p, _smuggled) => `GET ${p} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`, 400],
    ['no Host header', (p, _smuggled) => `GET ${p} HTTP/1.1\r\n\r\n`, 400],
    ['headers past the limit', (p, _smuggled) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['garbage', (_p, _smuggled) => `\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03`, 400],
    ['a chunk size that overflows', (p, _smuggled) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff1\r\nx\r\n0\r\n\r\n`, 400],
    ['CONNECT', (_p, _smuggled) => `CONNECT member:80 HTTP/1.1\r\nHost: member:80\r\n\r\n`, 501],
      // http-proxy's deleteLength pass turned these into `content-length: 0` and piped the body.
    ['a chunked DELETE carrying a request in its body', (p, smuggled) => `DELETE ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(smuggled)}0\r\n\r\n`, 'body'],
    ['a chunked OPTIONS carrying a request in its body', (p, smuggled) => `OPTIONS ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(smuggled)}0\r\n\r\n`, 'body'],
      // fleet's own hop-by-hop stripping obeyed Connection and dropped the framing header.
    ['a GET body with Connection: content-length', (p, smuggled) => `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: content-length\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`, 'body'],
    ['a chunked DELETE with Connection: transfer-encoding', (p, smuggled) => `DELETE ${p} HTTP/1.1\r\nHost: x\r\nConnection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(smuggled)}0\r\n\r\n`, 'body'],
    ['a chunked GET carrying a request in its body', (p, smuggled) => `GET ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(smuggled)}0\r\n\r\n`, 'body'],
    ['two pipelined requests stay two', (p, _smuggled) => `GET ${p}a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET ${p}b HTTP/1.1\r\nHost: x\r\n\r\n`, 'pipelined'],
  ];
  return table.map(([name, raw, outcome], index) => {
    const p = path(index);
    const smuggled = `GET ${hidden(index)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const want: Outcome = typeof outcome === 'number' ? { refused: outcome } : outcome === 'body' ? { paths: [p], body: smuggled } : { paths: [`${p}a`, `${p}b`] };
    return { name, raw: raw(p, smuggled), want };
  });
}
