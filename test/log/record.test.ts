import t from 'tap';
import { FleetError } from '../../src/fleet/errors.js';
import { errorRecord, recordFields, textLine } from '../../src/log/record.js';

const at = new Date('2026-11-23T01:02:03.456Z');

t.test('a text line is `time LEVEL event key=value…`, quoted only where it must be', async (t) => {
  const cases: { fields: Parameters<typeof textLine>[3]; line: string }[] = [
    { fields: {}, line: '2026-11-23T01:02:03.456Z INFO fleet.ready' },
    { fields: { fleet: 'a', members: 3, up: true, ip: null }, line: '2026-11-23T01:02:03.456Z INFO fleet.ready fleet=a members=3 up=true ip=null' },
    { fields: { url: 'http://127.0.0.1:8080/' }, line: '2026-11-23T01:02:03.456Z INFO fleet.ready url=http://127.0.0.1:8080/' },
    { fields: { note: 'two words' }, line: '2026-11-23T01:02:03.456Z INFO fleet.ready note="two words"' },
    { fields: { note: 'a=b' }, line: '2026-11-23T01:02:03.456Z INFO fleet.ready note="a=b"' },
    { fields: { note: '' }, line: '2026-11-23T01:02:03.456Z INFO fleet.ready note=""' },
    { fields: { note: 'line\nbreak' }, line: '2026-11-23T01:02:03.456Z INFO fleet.ready note="line\\nbreak"' },
    { fields: { error: { message: 'no such image', code: 'FLEET_IMAGE_MISSING' } }, line: '2026-11-23T01:02:03.456Z INFO fleet.ready error="no such image" error.code=FLEET_IMAGE_MISSING' },
    { fields: { error: { message: 'boom', stack: 'Error: boom\n    at f (x.ts:1:1)' } }, line: '2026-11-23T01:02:03.456Z INFO fleet.ready error=boom error.stack="Error: boom\\n    at f (x.ts:1:1)"' },
  ];
  for (const c of cases) t.equal(textLine(at, 'INFO', 'fleet.ready', c.fields), c.line + '\n', c.line);
});

t.test('an error is its message and code; its stack only when asked (DEBUG)', async (t) => {
  const error = new FleetError('FLEET_PORT_IN_USE', 'port 8080 is already in use on 127.0.0.1');
  t.same(errorRecord(error, false), { message: 'port 8080 is already in use on 127.0.0.1', code: 'FLEET_PORT_IN_USE' });
  t.same(errorRecord(error, true), { message: 'port 8080 is already in use on 127.0.0.1', code: 'FLEET_PORT_IN_USE', stack: error.stack });
  const errno = Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32 });
  t.same(errorRecord(errno, false), { message: 'write EPIPE', code: 'EPIPE' }, "a system error's code");
  t.same(errorRecord(new Error('plain'), false), { message: 'plain' }, 'no code, no code field');
});

t.test('fields: undefined ones are left out, errors reduced, the rest kept', async (t) => {
  t.same(recordFields({ a: 1, b: undefined, c: null, d: 'x', e: new Error('bad') }, false), { a: 1, c: null, d: 'x', e: { message: 'bad' } });
});
