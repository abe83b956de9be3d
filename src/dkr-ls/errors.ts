// dkr-ls's errors by kind. A DkrLsError is the user's or the environment's doing: one line
// on stderr, no stack trace, a non-zero exit. Tests and logs match on `code`.
import { CodedUsageError } from '../cli/errors.js';
import { isEngineError } from '../engine/errors.js';

export type DkrLsErrorCode =
  | 'DKR_LS_BAD_FLAG'
  | 'DKR_LS_UNKNOWN_FLAG'
  | 'DKR_LS_UNKNOWN_COMMAND'
  | 'DKR_LS_ENGINE_BAD_HOST'
  | 'DKR_LS_ENGINE_UNREACHABLE'
  | 'DKR_LS_ENGINE_TIMEOUT'
  | 'DKR_LS_ENGINE_ERROR';

export class DkrLsError extends CodedUsageError<DkrLsErrorCode> {
  constructor(code: DkrLsErrorCode, message: string) {
    super('DkrLsError', code, message);
  }
}

/** An engine failure as the user sees it; anything else is passed through untouched. */
export function fromEngineError(error: unknown): unknown {
  if (!isEngineError(error)) return error;
  switch (error.code) {
    case 'ENGINE_BAD_HOST':
      return new DkrLsError('DKR_LS_ENGINE_BAD_HOST', error.message);
    case 'ENGINE_UNREACHABLE':
    case 'ENGINE_TLS_FILES':
      return new DkrLsError('DKR_LS_ENGINE_UNREACHABLE', error.message);
    case 'ENGINE_TIMEOUT':
      return new DkrLsError('DKR_LS_ENGINE_TIMEOUT', error.message);
    default:
      return new DkrLsError('DKR_LS_ENGINE_ERROR', error.message);
  }
}
