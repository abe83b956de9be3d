// dkr-ls's errors: every engine failure becomes a DkrLsError (one line, a stable code, the
// engine's message with its address kept), anything else passes through untouched.
import t from 'tap';
import { UsageError } from 'clipanion';
import { DkrLsError, fromEngineError } from '../../src/dkr-ls/errors.js';
import { EngineError, type EngineErrorCode, isEngineError, unreachableMessage } from '../../src/engine/errors.js';

t.test('each engine failure maps to the dkr-ls code the user sees', async (t) => {
  const cases: [EngineErrorCode, string][] = [
    ['ENGINE_BAD_HOST', 'DKR_LS_ENGINE_BAD_HOST'],
    ['ENGINE_UNREACHABLE', 'DKR_LS_ENGINE_UNREACHABLE'],
    ['ENGINE_TLS_FILES', 'DKR_LS_ENGINE_UNREACHABLE'],
    ['ENGINE_TIMEOUT', 'DKR_LS_ENGINE_TIMEOUT'],
    ['ENGINE_HTTP_ERROR', 'DKR_LS_ENGINE_ERROR'],
    ['ENGINE_BAD_RESPONSE', 'DKR_LS_ENGINE_ERROR'],
  ];
  for (const [engine, code] of cases) {
    const message = unreachableMessage('unix:///var/run/docker.sock', engine);
    const error = fromEngineError(new EngineError(engine, 'unix:///var/run/docker.sock', message, 500)) as DkrLsError;
    t.ok(error instanceof DkrLsError && error instanceof UsageError, `${engine}: a usage error, printed on one line`);
    t.equal(error.code, code, `${engine} is ${code}`);
    t.equal(error.name, 'DkrLsError');
    t.equal(error.message, `cannot reach the Docker engine at unix:///var/run/docker.sock: ${engine}`, `${engine}: the message names the address`);
  }
});

t.test('anything not from the engine passes through untouched', async (t) => {
  for (const error of [new Error('a bug'), new TypeError('x'), 'text', undefined, new DkrLsError('DKR_LS_BAD_FLAG', 'bad')]) {
    t.equal(fromEngineError(error), error, String(error));
  }
});

t.test('an EngineError carries code, address and status', async (t) => {
  const error = new EngineError('ENGINE_HTTP_ERROR', 'tcp://10.0.0.1:2375', 'boom', 503);
  t.same({ name: error.name, code: error.code, address: error.address, status: error.status, message: error.message }, { name: 'EngineError', code: 'ENGINE_HTTP_ERROR', address: 'tcp://10.0.0.1:2375', status: 503, message: 'boom' });
  t.equal(new EngineError('ENGINE_TIMEOUT', 'a', 'b').status, undefined, 'no status unless the engine answered');
  t.ok(isEngineError(error));
  t.notOk(isEngineError(new Error('boom')));
  t.notOk(isEngineError({ code: 'ENGINE_TIMEOUT' }), 'a look-alike object is not one');
});
