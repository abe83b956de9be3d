// The daemon's JSON lines come from pino, the ecosystem's structured logger: its serializer
// never throws (a circular value or a BigInt still gives a line) and its layout is what log
// shippers and pino's tools read. Only the encoding is pino's: levels, time, the destination
// and its failures stay the Logger's, so the text and JSON formats behave the same. Loaded
// only by `fleet up --log-format json`.
import { pino } from 'pino';
import type { LogLevel } from './levels.js';
import type { JsonEncoder, RecordFields } from './record.js';

const METHOD = { DEBUG: 'debug', INFO: 'info', WARNING: 'warn', ERROR: 'error' } as const satisfies Record<LogLevel, string>;
const LEVEL: Record<string, LogLevel> = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' };

/** What pinoJson needs of pino. */
export type PinoFactory = (
  options: { level: 'debug'; base: undefined; timestamp: () => string; formatters: { level: (label: string) => Record<string, unknown> } },
  stream: { write(chunk: string): void },
) => Record<'debug' | 'info' | 'warn' | 'error', (fields: object) => void>;

export function pinoJson(make: PinoFactory = pino): JsonEncoder {
  let line = '';
  let time = '';
  const logger = make(
    {
      level: 'debug',
      base: undefined,
      timestamp: () => `,"time":"${time}"`,
      formatters: { level: (label) => ({ level: LEVEL[label] ?? label }) },
    },
    // pino writes synchronously to its stream: the line is here when the call returns.
    { write: (chunk: string) => void (line = chunk) },
  );
  return (at: Date, level: LogLevel, event: string, fields: RecordFields) => {
    time = at.toISOString();
    line = '';
    logger[METHOD[level]]({ event, ...fields });
    return line;
  };
}
