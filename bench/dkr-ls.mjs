// `npm run bench:dkr-ls`: how long `dkr-ls tags` takes on an engine with 300 images, side
// by side with `docker images` and the runtime's floor, a bare Node script that only GETs
// /images/json. Runs are interleaved so load on the machine hits all three alike; the
// figure is the median. Target: dkr-ls within 1.3x of the floor. It also times loading a
// bundle of dockerode, which dkr-ls does without (see the README).
//
//   BENCH_RUNS=25  runs of each command (after 3 warm-up rounds)
//
// The 300 images carry a label unique to this run and are removed at the end.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadImages } from '../test/dkr-ls/fixtures/image-archive.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 25);
const run = `${process.pid}-${Date.now()}`;
const label = `io.fleet.dkr-ls.bench=${run}`;
const prefix = `dkrls-bench-${process.pid}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dkr-ls-bench-'));

if (!fs.existsSync(path.join(root, 'dist', 'dkr-ls.cjs'))) {
  console.error('bench: dist/dkr-ls.cjs is missing; run `npm run build` first');
  process.exit(1);
}

function cleanup() {
  const ids = execFileSync('docker', ['images', '-q', '--no-trunc', '--filter', `label=${label}`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  if (ids.length) execFileSync('docker', ['rmi', '-f', ...new Set(ids)], { stdio: 'ignore' });
  fs.rmSync(work, { recursive: true, force: true });
  return ids.length;
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

// The floor: what any Node tool must pay to start and read the list.
const floor = path.join(work, 'floor.cjs');
fs.writeFileSync(
  floor,
  `const http = require('http');
const host = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
const target = host.startsWith('unix://') ? { socketPath: host.slice(7) } : { host: new URL(host.replace(/^tcp:/, 'http:')).hostname, port: new URL(host.replace(/^tcp:/, 'http:')).port };
http.get({ ...target, path: '/images/json' }, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => process.stdout.write(Buffer.concat(chunks)));
});
`,
);

// dockerode as dkr-ls would load it if it used it: bundled like our CLIs, required, nothing else.
let dockerodeBundle;
try {
  const { build } = await import('esbuild');
  dockerodeBundle = path.join(work, 'dockerode.cjs');
  await build({
    stdin: { contents: "require('dockerode');", resolveDir: root },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: dockerodeBundle,
    external: ['cpu-features', '*.node'],
    logLevel: 'error',
  });
} catch (error) {
  console.error(`bench: cannot bundle dockerode for the comparison: ${error.message}`);
  dockerodeBundle = undefined;
}

const commands = [
  { name: 'dkr-ls tags', file: path.join(root, 'bin', 'dkr-ls'), args: ['tags'] },
  { name: 'docker images', file: 'docker', args: ['images'] },
  { name: 'bare node GET /images/json (floor)', file: process.execPath, args: [floor] },
  { name: 'node -e 0', file: process.execPath, args: ['-e', '0'] },
];
if (dockerodeBundle) commands.push({ name: 'node + require(bundled dockerode)', file: process.execPath, args: [dockerodeBundle] });

function time(command) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command.file, command.args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${command.name} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

try {
  const now = Date.now();
  const images = [];
  for (let i = 0; i < 300; i++) {
    images.push({
      tags: i % 10 === 9 ? [] : [`${prefix}/app${i % 30}:v${i}`],
      created: new Date(now - (i + 1) * 3 * 3600_000),
      layers: [1000 + i * 137],
      labels: { 'io.fleet.dkr-ls.bench': run },
    });
  }
  console.error('bench: loading 300 images ...');
  await loadImages(images);
  const total = execFileSync('docker', ['images', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
  const rows = execFileSync(path.join(root, 'bin', 'dkr-ls'), ['tags'], { encoding: 'utf8' }).split('\n').length - 2;
  console.error(`bench: the engine lists ${total} images (${rows} rows); ${runs} interleaved runs each after 3 warm-up rounds`);

  const samples = commands.map(() => []);
  for (let round = 0; round < runs + 3; round++) {
    // Rotate the order each round so no command always follows another.
    for (let k = 0; k < commands.length; k++) {
      const index = (k + round) % commands.length;
      const ms = time(commands[index]);
      if (round >= 3) samples[index].push(ms);
    }
  }
  const medians = samples.map(median);
  const floorMs = medians[2];
  console.log(`dkr-ls tags on ${total} images, median of ${runs} runs (node ${process.version}, ${os.cpus().length} cpus)`);
  commands.forEach((command, i) => {
    console.log(`  ${command.name.padEnd(36)} ${medians[i].toFixed(1).padStart(7)} ms   ${(medians[i] / floorMs).toFixed(2)}x floor`);
  });
  const ratio = medians[0] / floorMs;
  console.log(`ratio dkr-ls / floor: ${ratio.toFixed(2)} (target <= 1.3) ${ratio <= 1.3 ? 'ok' : 'OVER TARGET'}`);
} finally {
  const removed = cleanup();
  console.error(`bench: removed the ${removed} images it loaded`);
}
