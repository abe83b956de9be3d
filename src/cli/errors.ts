// The base of both tools' user-facing errors: a clipanion UsageError (one line, no stack
// trace, a non-zero exit) that carries a stable code for tests and logs to match on.
import { UsageError } from 'clipanion';

export class CodedUsageError<Code extends string> extends UsageError {
  readonly code: Code;

  constructor(name: string, code: Code, message: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}
