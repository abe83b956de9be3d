// Seeded fuzz over pipelined request streams: whatever the mutations, every request a member
// executed is answered to the client, in order (a member's answer echoes its path).
import t from 'tap';
import { backend, rawRequest, startBalancer } from './support.js';

// mulberry32: small and deterministic.
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const HEADS = ['Host: a', 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Content-Length: 3', 'Content-Length: 3', 'Host: a b', 'X-A: b', 'Connection: close'];

function stream(rand: () => number, id: number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  let out = '';
  const count = 2 + Math.floor(rand() * 4);
  for (let i = 0; i < count; i++) {
    const heads = ['Host: a'];
    if (rand() < 0.4) heads.push(pick(HEADS));
    if (rand() < 0.1) heads.shift();
    const chunked = heads.some((h) => h.includes('chunked'));
    const body = chunked ? '3\r\nabc\r\n0\r\n\r\n' : heads.includes('Content-Length: 3') ? 'abc' : '';
    let text = `${pick(['GET', 'GET', 'POST', 'BOGUS', 'G\u0000T'])} /f${id}-${i} HTTP/1.1\r\n${heads.join('\r\n')}\r\n\r\n${body}`;
    if (rand() < 0.2) {
      const at = Math.floor(rand() * text.length);
      text = text.slice(0, at) + pick(['\r', '\n', '', 'x', ' ']) + text.slice(at + 1);
    }
    out += text;
  }
  return out;
}

t.test('every request a member executed is answered, in order', async (t) => {
  const seen: string[] = [];
  const { port: memberPort } = await backend(t, 'rec', (req, res) => {
    seen.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.end(`<${req.url}>`));
  });
  const { port } = await startBalancer(t, { rec: memberPort });
  const rand = prng(15);
  const lost: string[] = [];
  for (let id = 0; id < 200; id++) {
    seen.length = 0;
    const raw = stream(rand, id);
    const answer = await rawRequest(port, raw, 1_000);
    const answered = [...answer.text.matchAll(/<([^>]*)>/g)].map((m) => m[1]);
    // Members run pipelined requests at once, so execution order is free; answers are not.
    const executed = [...seen].sort();
    const at = (path: string): number => raw.indexOf(` ${path} `);
    const inOrder = answered.every((path, i) => i === 0 || at(path) > at(answered[i - 1]));
    if (JSON.stringify([...answered].sort()) !== JSON.stringify(executed) || !inOrder) lost.push(`case ${id}: executed ${seen.join(',')} answered ${answered.join(',')}`);
  }
  t.same(lost, [], 'no case lost or reordered an executed request');
});
