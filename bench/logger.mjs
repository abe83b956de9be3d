// `npm run bench:logger`: what the logger costs. Per line: the Logger writing text, JSON
// through plain JSON.stringify (dkr-ls, the Node 10 bundles) and JSON through pino (the
// daemon's --log-format json), to a destination that takes every line. At start-up: loading
// pino, bundled as our CLIs are, next to `node -e 0`. Runs are interleaved; figures are medians.
//
//   BENCH_LINES=200000  lines per sample      BENCH_RUNS=25  process starts per command
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lines = Number(process.env.BENCH_LINES ?? 200_000);
const runs = Number(process.env.BENCH_RUNS ?? 25);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'logger-bench-'));
const bundle = (contents, outfile) =>
  build({ stdin: { contents, resolveDir: root, loader: 'ts' }, bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'error' });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

try {
  const lib = path.join(work, 'log.cjs');
  await bundle("export { Logger } from './src/log.ts'; export { pinoJson } from './src/log/pino-json.ts';", lib);
  const pinoOnly = path.join(work, 'pino.cjs');
  await bundle("import { pino } from 'pino'; pino({ base: undefined }, { write() {} });", pinoOnly);
  const empty = path.join(work, 'empty.cjs');
  fs.writeFileSync(empty, '');

  const { Logger, pinoJson } = await import(lib);
  let bytes = 0;
  const destination = { write: (line) => void (bytes += line.length), dropped: 0, backlog: 0, failed: undefined };
  const loggers = {
    'text': new Logger({ level: 'INFO', destination }),
    'JSON, plain JSON.stringify': new Logger({ level: 'INFO', destination, format: 'json' }),
    'JSON, pino': new Logger({ level: 'INFO', destination, format: 'json', json: pinoJson() }),
    'a DEBUG line at INFO (skipped)': new Logger({ level: 'INFO', destination }),
  };
  const fields = { member: 'fleet-web-3f9a2c1d', ip: '172.18.0.3', from: 'starting', to: 'up', inflight: 3 };
  const samples = Object.fromEntries(Object.keys(loggers).map((name) => [name, []]));
  for (let round = 0; round < 7; round++) {
    for (const [name, log] of Object.entries(loggers)) {
      const skipped = name.startsWith('a DEBUG');
      const started = process.hrtime.bigint();
      for (let i = 0; i < lines; i++) (skipped ? log.debug : log.info).call(log, 'member.state', fields);
      if (round >= 2) samples[name].push(Number(process.hrtime.bigint() - started) / lines);
    }
  }
  console.log(`logger: per line, median of 5 samples of ${lines} lines (node ${process.version}, ${os.cpus().length} cpus)`);
  for (const [name, ns] of Object.entries(samples)) console.log(`  ${name.padEnd(34)} ${median(ns).toFixed(0).padStart(6)} ns`);

  const starts = [
    { name: 'node -e 0 (an empty script)', args: [empty] },
    { name: 'node + require(bundled pino)', args: [pinoOnly] },
  ];
  const times = starts.map(() => []);
  for (let round = 0; round < runs + 3; round++) {
    for (let k = 0; k < starts.length; k++) {
      const index = (k + round) % starts.length;
      const started = process.hrtime.bigint();
      spawnSync(process.execPath, starts[index].args, { stdio: 'ignore' });
      if (round >= 3) times[index].push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  console.log(`start-up, median of ${runs} interleaved runs`);
  starts.forEach((s, i) => console.log(`  ${s.name.padEnd(34)} ${median(times[i]).toFixed(1).padStart(6)} ms`));
  console.log(`  pino's bundle: ${(fs.statSync(pinoOnly).size / 1024).toFixed(0)} KiB`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
