// Writes the README's usage block (between the usage markers) from the CLIs' own clipanion
// definitions; `--check` only says whether it is current (exit 1 when not). The CLIs are
// TypeScript, so esbuild bundles a small entry first (packages stay external).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'node_modules', '.cache', 'fleet-readme-usage.mjs');
await build({
  stdin: {
    contents: `
      export { buildCli as fleet } from './src/fleet/cli.ts';
      export { buildCli as dkrLs } from './src/dkr-ls/cli.ts';
      export * from './src/cli/usage-markdown.ts';`,
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  outfile: out,
  logLevel: 'warning',
});
const m = await import(pathToFileURL(out).href);
const readmePath = path.join(root, 'README.md');
const readme = fs.readFileSync(readmePath, 'utf8');
const next = m.replaceUsageBlock(readme, m.renderUsageBlock(m.fleet().definitions(), m.dkrLs().definitions()));
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('README.md: the usage block differs from the CLI; run node scripts/readme-usage.mjs');
    process.exit(1);
  }
} else if (next !== readme) {
  fs.writeFileSync(readmePath, next);
  console.error('README.md: usage block written');
}
