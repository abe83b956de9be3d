// The agent's authentication: an HMAC of time, method, path and body under the stack's
// secret, checked in constant time, within a window of the agent's clock.
import t from 'tap';
import { AUTH_SCHEME, AUTH_WINDOW_MS, MIN_SECRET_BYTES, authorization, parseSecret, verify } from '../../../src/fleet/agent/auth.js';

const SECRET = 'a-stack-secret-of-32-bytes-long!';
const NOW = 1_800_000_000_000;
const request = { method: 'PUT', path: '/list', body: '{"generation":2,"ips":[]}' };

t.test('a request is taken only when signed with the secret, for that route and body, near now', async (t) => {
  const good = authorization(SECRET, request, NOW);
  const cases: [string, string | undefined, typeof request, number, string | true][] = [
    ['the signed request', good, request, NOW, true],
    ['a signature 29 s old', authorization(SECRET, request, NOW - AUTH_WINDOW_MS + 1_000), request, NOW, true],
    ['no header', undefined, request, NOW, 'missing or malformed'],
    ['a bearer token', `Bearer ${SECRET}`, request, NOW, 'missing or malformed'],
    ['another scheme name', good.replace(AUTH_SCHEME, 'HMAC'), request, NOW, 'missing or malformed'],
    ['a short signature', good.slice(0, -2), request, NOW, 'missing or malformed'],
    ['the wrong secret', authorization('another-secret-of-enough-bytes', request, NOW), request, NOW, 'wrong signature'],
    ['another body', good, { ...request, body: '{"generation":3,"ips":[]}' }, NOW, 'wrong signature'],
    ['another route', good, { ...request, path: '/status' }, NOW, 'wrong signature'],
    ['another method', good, { ...request, method: 'GET' }, NOW, 'wrong signature'],
    ['a signature 31 s old (a replay)', authorization(SECRET, request, NOW - AUTH_WINDOW_MS - 1_000), request, NOW, 'away from this node'],
    ['a signature 31 s ahead', authorization(SECRET, request, NOW + AUTH_WINDOW_MS + 1_000), request, NOW, 'away from this node'],
    ['a time changed after signing', good.replace(`${NOW}:`, `${NOW + 1}:`), request, NOW, 'wrong signature'],
  ];
  for (const [what, header, signed, now, want] of cases) {
    const verdict = verify(SECRET, header, signed, now);
    if (want === true) t.same(verdict, { ok: true }, `${what} is taken`);
    else t.match(verdict, { ok: false, reason: new RegExp(want) }, `${what} is refused (${want})`);
  }
});

t.test('the secret file holds the secret; a trailing newline is not part of it, a short one is refused', async (t) => {
  const cases: [string, string, string | true][] = [
    ['printf', SECRET, SECRET],
    ['echo', `${SECRET}\n`, SECRET],
    ['a CRLF file', `${SECRET}\r\n`, SECRET],
    ['too short', 'short\n', `the secret must be at least ${MIN_SECRET_BYTES} bytes (got 5)`],
    ['empty', '', `the secret must be at least ${MIN_SECRET_BYTES} bytes (got 0)`],
  ];
  for (const [what, content, want] of cases) {
    const parsed = parseSecret(Buffer.from(content));
    if (want === SECRET) t.same(parsed.ok && parsed.value.toString(), SECRET, `${what}: the secret is read`);
    else t.same(parsed, { ok: false, error: want }, `${what}: refused`);
  }
});
