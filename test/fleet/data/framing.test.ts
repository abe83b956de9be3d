// RFC 9112 §6 framing, table-driven: what is forwarded with which body, and what is refused.
import t from 'tap';
import { checkFraming } from '../../../src/fleet/data/framing.js';

type Want = { body: 'none' | 'chunked' | number } | { status: 400 | 501; reason: RegExp };

const cases: [string, string[], string, Want][] = [
  ['a GET without a body', ['Host', 'x'], '1.1', { body: 'none' }],
  ['Content-Length: 0', ['Host', 'x', 'Content-Length', '0'], '1.1', { body: 'none' }],
  ['a Content-Length body', ['Host', 'x', 'Content-Length', '42'], '1.1', { body: 42 }],
  ['chunked', ['Host', 'x', 'Transfer-Encoding', 'chunked'], '1.1', { body: 'chunked' }],
  ['chunked in any case, with spaces', ['Host', 'x', 'Transfer-Encoding', ' Chunked '], '1.1', { body: 'chunked' }],
  ['HTTP/1.0 without Host', [], '1.0', { body: 'none' }],
  ['CL.TE: both Content-Length and Transfer-Encoding', ['Host', 'x', 'Content-Length', '6', 'Transfer-Encoding', 'chunked'], '1.1', { status: 400, reason: /both Content-Length and Transfer-Encoding/ }],
  ['TE.CL, the other order', ['Host', 'x', 'Transfer-Encoding', 'chunked', 'Content-Length', '3'], '1.1', { status: 400, reason: /both/ }],
  ['TE.TE: a second, bogus Transfer-Encoding line', ['Host', 'x', 'Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'x'], '1.1', { status: 400, reason: /final coding is not chunked/ }],
  ['a final coding other than chunked', ['Host', 'x', 'Transfer-Encoding', 'chunked, gzip'], '1.1', { status: 400, reason: /final coding is not chunked/ }],
  ['xchunked', ['Host', 'x', 'Transfer-Encoding', 'xchunked'], '1.1', { status: 400, reason: /final coding/ }],
  ['chunked twice', ['Host', 'x', 'Transfer-Encoding', 'chunked, chunked'], '1.1', { status: 400, reason: /more than once/ }],
  ['a coding fleet does not implement before chunked', ['Host', 'x', 'Transfer-Encoding', 'gzip, chunked'], '1.1', { status: 501, reason: /gzip is not supported/ }],
  ['Transfer-Encoding in HTTP/1.0', ['Host', 'x', 'Transfer-Encoding', 'chunked'], '1.0', { status: 400, reason: /HTTP\/1\.0/ }],
  ['two Content-Length lines that differ', ['Host', 'x', 'Content-Length', '1', 'Content-Length', '2'], '1.1', { status: 400, reason: /more than one Content-Length/ }],
  ['two equal Content-Length lines', ['Host', 'x', 'Content-Length', '2', 'Content-Length', '2'], '1.1', { status: 400, reason: /more than one Content-Length/ }],
  ['a Content-Length list', ['Host', 'x', 'Content-Length', '2, 2'], '1.1', { status: 400, reason: /invalid Content-Length/ }],
  ['a signed Content-Length', ['Host', 'x', 'Content-Length', '+5'], '1.1', { status: 400, reason: /invalid Content-Length/ }],
  ['a Content-Length past 2^53', ['Host', 'x', 'Content-Length', '99999999999999999999'], '1.1', { status: 400, reason: /too large/ }],
  ['obs-fold carried into a value', ['Host', 'x', 'Transfer-Encoding', 'chunked\r\n x'], '1.1', { status: 400, reason: /line break/ }],
  ['a NUL in a value', ['Host', 'x', 'X-A', 'a\0b'], '1.1', { status: 400, reason: /line break or NUL/ }],
  ['no Host in HTTP/1.1', [], '1.1', { status: 400, reason: /no Host/ }],
  ['two Host lines', ['Host', 'a', 'Host', 'b'], '1.1', { status: 400, reason: /more than one Host/ }],
  ['a Host with a space', ['Host', 'a b'], '1.1', { status: 400, reason: /invalid Host/ }],
  ['a Host with a path', ['Host', 'a/b'], '1.1', { status: 400, reason: /invalid Host/ }],
  ['an IPv6 Host with a port', ['Host', '[::1]:8080'], '1.1', { body: 'none' }],
];

for (const [name, raw, version, want] of cases) {
  t.test(name, async (t) => {
    const got = checkFraming(raw, version);
    if ('body' in want) {
      t.ok(got.ok, 'is forwarded');
      if (got.ok) t.equal(got.body, want.body, `with body ${String(want.body)}`);
    } else {
      t.notOk(got.ok, 'is refused');
      if (!got.ok) {
        t.equal(got.status, want.status, `with ${want.status}`);
        t.match(got.reason, want.reason, 'saying why');
      }
    }
  });
}
