// The messages between the primary and its workers are checked where they arrive.
import t from 'tap';
import { isFromWorker, isToWorker } from '../../../src/fleet/data/messages.js';

t.test('what a worker accepts from the primary', async (t) => {
  const cases: [string, unknown, boolean][] = [
    ['a rotation', { t: 'rotation', snapshot: { version: 3, members: [{ id: 'a', name: 'm', ip: '10.0.0.1', port: 8080 }], known: ['a'], down: [] } }, true],
    ['retire', { t: 'retire' }, true],
    ['a rotation without a version', { t: 'rotation', snapshot: { members: [], known: [] } }, false],
    ['a member without a port', { t: 'rotation', snapshot: { version: 1, members: [{ id: 'a', name: 'm', ip: '10.0.0.1' }], known: [] } }, false],
    ['an unknown message', { t: 'explode' }, false],
    ['not an object', 'retire', false],
  ];
  for (const [what, message, ok] of cases) t.equal(isToWorker(message), ok, `${what}: ${ok ? 'taken' : 'refused'}`);
});

t.test('what the primary accepts from a worker', async (t) => {
  const cases: [string, unknown, boolean][] = [
    ['ready', { t: 'ready' }, true],
    ['listening', { t: 'listening' }, true],
    ['a failed listen', { t: 'listen-failed', code: 'EADDRINUSE', message: 'in use' }, true],
    ['a beat', { t: 'beat', version: 2, inflight: { a: 1 }, requests: 10, connections: 3 }, true],
    ['a failure', { t: 'failure', id: 'a', unreachable: true }, true],
    ['request figures', { t: 'requests', retries: 1, members: { m: { codes: [0, 3, 0, 0, 1], buckets: [0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], sum: 0.5 } } }, true],
    ['request figures with a bucket missing', { t: 'requests', retries: 0, members: { m: { codes: [0, 3, 0, 0, 1], buckets: [0, 1, 2], sum: 0.5 } } }, false],
    ['request figures with a negative count', { t: 'requests', retries: -1, members: {} }, false],
    ['a beat with a count that is not a number', { t: 'beat', version: 2, inflight: { a: 'x' }, requests: 10, connections: 3 }, false],
    ['a failure without its member', { t: 'failure', unreachable: true }, false],
    ['null', null, false],
  ];
  for (const [what, message, ok] of cases) t.equal(isFromWorker(message), ok, `${what}: ${ok ? 'taken' : 'refused'}`);
});
