// A log record: the event's stable name and its fields, errors reduced to what a reader
// needs (the message and the stable code; the stack too at DEBUG), and the two ways a record
// is written: `time LEVEL event key=value…` for people, one JSON object per line for shippers.
import type { LogLevel } from './levels.js';

export type LogValue = string | number | boolean | null | undefined | Error;
export type LogFields = Record<string, LogValue>;

export interface ErrorRecord {
  message: string;
  code?: string;
  stack?: string;
}

export type RecordValue = string | number | boolean | null | ErrorRecord;
export type RecordFields = Record<string, RecordValue>;

export function errorRecord(error: Error, withStack: boolean): ErrorRecord {
  const record: ErrorRecord = { message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') record.code = String(code);
  if (withStack && error.stack) record.stack = error.stack;
  return record;
}

/** The fields as written: undefined ones left out, errors reduced. */
export function recordFields(fields: LogFields, withStack: boolean): RecordFields {
  const out: RecordFields = {};
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value === undefined) continue;
    out[key] = value instanceof Error ? errorRecord(value, withStack) : value;
  }
  return out;
}

function quote(value: string): string {
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

/** `time LEVEL event key=value…` on one line; an error is `key=message key.code=… key.stack=…`. */
export function textLine(time: Date, level: LogLevel, event: string, fields: RecordFields): string {
  let line = `${time.toISOString()} ${level} ${event}`;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value !== null && typeof value === 'object') {
      line += ` ${key}=${quote(value.message)}`;
      if (value.code !== undefined) line += ` ${key}.code=${quote(value.code)}`;
      if (value.stack !== undefined) line += ` ${key}.stack=${quote(value.stack)}`;
    } else {
      line += ` ${key}=${quote(String(value))}`;
    }
  }
  return line + '\n';
}

/** Turns a record into one JSON line. */
export type JsonEncoder = (time: Date, level: LogLevel, event: string, fields: RecordFields) => string;

/** The encoder with no dependency, for dkr-ls. */
export const plainJson: JsonEncoder = (time, level, event, fields) => JSON.stringify({ level, time: time.toISOString(), event, ...fields }) + '\n';
