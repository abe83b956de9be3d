// Bundles each CLI into one CommonJS file under dist/. One file per tool means Node
// resolves no module tree at start-up: dkr-ls's whole cost is its own code and clipanion.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  // ssh2 (docker-modem loads it at start) is bundled; its native speed-ups are optional
  // and loaded in try/catch, so they stay out: the bundles run with no node_modules.
  external: ['cpu-features', '*.node'],
};

// pino needs Node 18: the Node 10 bundles get the small stand-in that writes the same lines.
const node10 = { target: 'node10', alias: { pino: './src/compat/pino-node10.ts' } };

const bundles = [
  { entryPoints: ['src/dkr-ls/main.ts'], outfile: 'dist/dkr-ls.cjs', target: 'node20' },
  // The tool image runs Alpine 3.10's Node 10: same code, syntax lowered for it.
  { entryPoints: ['src/dkr-ls/main.ts'], outfile: 'dist/dkr-ls.node10.cjs', ...node10 },
  { entryPoints: ['src/fleet/main.ts'], outfile: 'dist/fleet.cjs', target: 'node20' },
  // The fleet daemon image (images/fleet, FROM alpine:3.10) runs this one.
  { entryPoints: ['src/fleet/main-node10.ts'], outfile: 'dist/fleet.node10.cjs', ...node10 },
];

await Promise.all(bundles.map((bundle) => build({ ...common, ...bundle })));
