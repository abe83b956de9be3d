// Bundles each CLI into one CommonJS file under dist/. One file per tool means Node
// resolves no module tree at start-up: dkr-ls's whole cost is its own code and clipanion.
import fs from 'node:fs';
import { build } from 'esbuild';

// Two dependencies call Node APIs that Node 24 deprecates at run time, which would put a
// warning on fleet's stderr (node_modules code is exempt, a bundle is not):
//   http-proxy 1.18.1  util._extend (DEP0060): Object.assign makes the same copy
//   docker-modem       url.parse and url.resolve (DEP0169), for a tcp:// DOCKER_HOST: the
//                      legacy Url object's own parse and resolveObject, which both wrap,
//                      give the same results without the warning
const legacyCalls = [
  { filter: /[\\/]http-proxy[\\/]lib[\\/].*\.js$/, replace: [[/require\('util'\)\._extend/g, 'Object.assign']] },
  {
    filter: /[\\/]docker-modem[\\/]lib[\\/].*\.js$/,
    replace: [
      [/\burl\.parse\(/g, '((u) => { const parsed = new url.Url(); parsed.parse(u); return parsed; })('],
      [/\burl\.resolve\(/g, '((from, to) => { const base = new url.Url(); base.parse(from, false, true); return base.resolveObject(to).format(); })('],
    ],
  },
];
const noDeprecatedCalls = {
  name: 'no-deprecated-calls',
  setup(build) {
    for (const { filter, replace } of legacyCalls) {
      build.onLoad({ filter }, async (args) => {
        const source = await fs.promises.readFile(args.path, 'utf8');
        return { contents: replace.reduce((text, [from, to]) => text.replace(from, to), source), loader: 'js' };
      });
    }
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
  plugins: [noDeprecatedCalls],
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
  { entryPoints: ['src/fleet/main.ts'], outfile: 'dist/fleet.cjs', target: 'node24', plugins: [noDeprecatedCalls, daemonApart] },
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
