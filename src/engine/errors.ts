// Engine failures by kind. Each names the address, so "which engine?" is never a question.

export type EngineErrorCode =
  | 'ENGINE_BAD_HOST'
  | 'ENGINE_UNREACHABLE'
  | 'ENGINE_TIMEOUT'
  | 'ENGINE_HTTP_ERROR'
  | 'ENGINE_BAD_RESPONSE'
  | 'ENGINE_TLS_FILES';

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly address: string;
  readonly status: number | undefined;

  constructor(code: EngineErrorCode, address: string, message: string, status?: number) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
    this.address = address;
    this.status = status;
  }
}

export function isEngineError(error: unknown): error is EngineError {
  return error instanceof EngineError;
}

/** The one wording of "the engine cannot be reached", for dkr-ls's client and fleet's alike. */
export function unreachableMessage(address: string, reason: string): string {
  return `cannot reach the Docker engine at ${address}: ${reason}`;
}
