import t from 'tap';
import { pinoJson } from '../../src/log/pino-json.js';
import { type RecordFields, plainJson } from '../../src/log/record.js';
import type { LogLevel } from '../../src/log/levels.js';

const at = new Date('2026-11-23T01:02:03.456Z');

const records: { level: LogLevel; event: string; fields: RecordFields; json: string }[] = [
  { level: 'INFO', event: 'fleet.ready', fields: {}, json: '{"level":"INFO","time":"2026-11-23T01:02:03.456Z","event":"fleet.ready"}' },
  {
    level: 'DEBUG',
    event: 'member.state',
    fields: { member: 'fleet-a-1', ip: '172.18.0.2', inflight: 0, healthy: true, from: null },
    json: '{"level":"DEBUG","time":"2026-11-23T01:02:03.456Z","event":"member.state","member":"fleet-a-1","ip":"172.18.0.2","inflight":0,"healthy":true,"from":null}',
  },
  {
    level: 'WARNING',
    event: 'proxy.fail',
    fields: { note: 'quotes " and \\ and a\nnewline, tab\t, unicode é ✓' },
    json: '{"level":"WARNING","time":"2026-11-23T01:02:03.456Z","event":"proxy.fail","note":"quotes \\" and \\\\ and a\\nnewline, tab\\t, unicode é ✓"}',
  },
  {
    level: 'ERROR',
    event: 'bug.uncaught',
    fields: { error: { message: 'boom', code: 'FLEET_X', stack: 'Error: boom\n    at x (y.ts:1:2)' } },
    json: '{"level":"ERROR","time":"2026-11-23T01:02:03.456Z","event":"bug.uncaught","error":{"message":"boom","code":"FLEET_X","stack":"Error: boom\\n    at x (y.ts:1:2)"}}',
  },
  { level: 'INFO', event: 'odd.numbers', fields: { nan: NaN, inf: Infinity, big: 1e21 }, json: '{"level":"INFO","time":"2026-11-23T01:02:03.456Z","event":"odd.numbers","nan":null,"inf":null,"big":1e+21}' },
];

const encoders = { 'pino': pinoJson(), 'plain JSON (dkr-ls)': plainJson };

for (const [name, encode] of Object.entries(encoders)) {
  t.test(`${name} writes one JSON object per line, the same for every encoder`, async (t) => {
    for (const r of records) t.equal(encode(at, r.level, r.event, r.fields), r.json + '\n', `${r.event} as one line`);
  });
}

t.test("pino's encoder never throws on a value JSON.stringify cannot take", async (t) => {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  const encode = pinoJson();
  const bigint = encode(at, 'INFO', 'odd.values', { n: 10n } as unknown as RecordFields);
  t.match(JSON.parse(bigint), { event: 'odd.values', n: 10 }, 'a BigInt is written as a number');
  const loop = encode(at, 'INFO', 'odd.values', { loop: circular } as unknown as RecordFields);
  t.match(JSON.parse(loop), { event: 'odd.values', loop: { name: 'loop', self: '[Circular]' } }, 'a circular value is cut, not a crash');
});
