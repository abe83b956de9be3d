// How a control call fails: only NoDaemonError says no daemon runs; a daemon's bug is no
// FleetError (the CLI exits 70); every fleet error is a one-line UsageError with its code.
import t from 'tap';
import { UsageError } from 'clipanion';
import { ControlChannelError, DaemonBugError, NoDaemonError } from '../../../../src/fleet/control/socket/errors.js';
import { FLEET_ERROR_CODES, FleetError, INTERNAL_ERROR_CODE, isFleetError, messageOf } from '../../../../src/fleet/errors.js';

t.test('each error says what it tells about the daemon', async (t) => {
  const cases: [Error, { name: string; code: string; message: string; usage: boolean; fleet: boolean }][] = [
    [new NoDaemonError('blue', '/run/fleet/blue.sock'), { name: 'FleetError', code: 'FLEET_NOT_RUNNING', message: 'fleet "blue" is not running (no daemon answers on /run/fleet/blue.sock)', usage: true, fleet: true }],
    [new ControlChannelError('FLEET_CONTROL_TIMEOUT', 'no answer in 5 s'), { name: 'FleetError', code: 'FLEET_CONTROL_TIMEOUT', message: 'no answer in 5 s', usage: true, fleet: true }],
    [new FleetError('FLEET_BAD_INPUT', 'bad'), { name: 'FleetError', code: 'FLEET_BAD_INPUT', message: 'bad', usage: true, fleet: true }],
    [new DaemonBugError('TypeError: x'), { name: 'DaemonBugError', code: INTERNAL_ERROR_CODE, message: 'TypeError: x', usage: false, fleet: false }],
  ];
  for (const [error, want] of cases) {
    const e = error as Error & { code: string };
    t.same({ name: e.name, code: e.code, message: e.message, usage: e instanceof UsageError, fleet: isFleetError(e) }, want, want.code);
  }
});

t.test('the codes are unique, prefixed, and the internal one is not among them', async (t) => {
  t.equal(new Set(FLEET_ERROR_CODES).size, FLEET_ERROR_CODES.length, 'no code twice');
  t.ok(FLEET_ERROR_CODES.every((code) => /^FLEET_[A-Z_]+$/.test(code)), 'every code is FLEET_ and capitals');
  t.notOk((FLEET_ERROR_CODES as readonly string[]).includes(INTERNAL_ERROR_CODE), `${INTERNAL_ERROR_CODE} is not a user's error`);
});

t.test('messageOf: an error\'s message, anything else as text', async (t) => {
  const cases: [unknown, string][] = [
    [new Error('boom'), 'boom'],
    [new FleetError('FLEET_BAD_INPUT', 'bad'), 'bad'],
    ['plain', 'plain'],
    [42, '42'],
    [undefined, 'undefined'],
    [null, 'null'],
  ];
  for (const [value, text] of cases) t.equal(messageOf(value), text, text);
});
