// What the Node 10 bundles get for `pino` (scripts/build.mjs aliases it here): pino needs
// Node 18 or later, and src/log/pino-json.ts uses only this much of it. The same lines as
// pino's for the same records; test/log/pino-json.test.ts holds both to that.

import type { PinoFactory } from '../log/pino-json.js';

export const pino: PinoFactory = (options, stream) => {
  const method = (label: string) => (fields: object) => {
    const head = JSON.stringify(options.formatters.level(label)).slice(0, -1);
    const body = JSON.stringify(fields, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value)).slice(1);
    stream.write(`${head}${options.timestamp()}${body === '}' ? '}' : `,${body}`}\n`);
  };
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
};

export default pino;
