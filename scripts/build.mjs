// Bundles each CLI into one CommonJS file under dist/. One file per tool means Node
// resolves no module tree at start-up: dkr-ls's whole cost is its own code and clipanion.
import fs from 'node:fs';
import { build } from 'esbuild';

// http-proxy 1.18.1 merges its options with util._extend, which Node 22+ deprecates at run
// time (DEP0060: a warning on the daemon's stderr at the first request). Object.assign does
// the same copy of own enumerable properties, so the bundles get that instead.
const httpProxyExtend = {
  name: 'http-proxy-extend',
  setup(build) {
    build.onLoad({ filter: /[\\/]http-proxy[\\/]lib[\\/].*\.js$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      const contents = source.replace(/require\('util'\)\._extend/g, 'Object.assign');
      return { contents, loader: 'js' };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  // ssh2 (docker-modem loads it at start) is bundled; its native speed-ups are optional
  // and loaded in try/catch, so they stay out: the bundles run with no node_modules.
  external: ['cpu-features', '*.node'],
  plugins: [httpProxyExtend],
};

// fleet's CLI leaves the daemon and dkr-ls out: its imports of daemon-bundle.js and
// images-bundle.js become requires of their own bundles next to it, parsed only by `fleet up`
// and a daemonless `fleet down`, and by `fleet images` respectively.
const daemonApart = {
  name: 'daemon-apart',
  setup(build) {
    build.onResolve({ filter: /\/daemon-bundle\.js$/ }, () => ({ path: './fleet-daemon.cjs', external: true }));
    build.onResolve({ filter: /\/images-bundle\.js$/ }, () => ({ path: './fleet-images.cjs', external: true }));
    build.onResolve({ filter: /\/agent-bundle\.js$/ }, () => ({ path: './fleet-agent.cjs', external: true }));
  },
};

const bundles = [
  // bin/dkr-ls and the tool image (Dockerfile) run this one,
  { entryPoints: ['src/dkr-ls/main.ts'], outfile: 'dist/dkr-ls.cjs', target: 'node24' },
  // bin/fleet and the daemon image (images/fleet/Dockerfile) these two: both images carry Node 24.
  { entryPoints: ['src/fleet/main.ts'], outfile: 'dist/fleet.cjs', target: 'node24', plugins: [httpProxyExtend, daemonApart] },
  // The admin listener's dashboard travels inside the daemon's bundle (src/fleet/admin/dashboard.ts).
  {
    entryPoints: ['src/fleet/daemon-bundle.ts'],
    outfile: 'dist/fleet-daemon.cjs',
    target: 'node24',
    define: { FLEET_DASHBOARD_HTML: JSON.stringify(fs.readFileSync('src/fleet/admin/dashboard.html', 'utf8')) },
  },
  // `fleet agent`: the per-node agent of Swarm mode, with its own Docker client and listener.
  { entryPoints: ['src/fleet/agent-bundle.ts'], outfile: 'dist/fleet-agent.cjs', target: 'node24' },
  // `fleet images …`: dkr-ls's CLI under fleet's name.
  { entryPoints: ['src/fleet/images-bundle.ts'], outfile: 'dist/fleet-images.cjs', target: 'node24' },
  // The balancer's worker processes: the data plane alone, no Docker client.
  { entryPoints: ['src/fleet/data/worker-main.ts'], outfile: 'dist/fleet-worker.cjs', target: 'node24' },
];

await Promise.all(bundles.map((bundle) => build({ ...common, ...bundle })));
