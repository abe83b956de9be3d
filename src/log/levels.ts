// The four levels both tools speak, in the spelling their flags and their logs use.

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 };

/** True when a logger set to `threshold` writes lines of `level`. */
export function atLeast(level: LogLevel, threshold: LogLevel): boolean {
  return RANK[level] >= RANK[threshold];
}

/** Reads a level name in any case (`warn` and `warning` alike); undefined when it is not one. */
export function parseLogLevel(input: string): LogLevel | undefined {
  const upper = input.trim().toUpperCase();
  if (upper === 'WARN') return 'WARNING';
  return (LOG_LEVELS as readonly string[]).includes(upper) ? (upper as LogLevel) : undefined;
}
