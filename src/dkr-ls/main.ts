// bin/dkr-ls and the tool image run the bundle of this file (dist/dkr-ls.cjs). It loads
// clipanion and dkr-ls's own code, nothing else.
import type { BaseContext } from 'clipanion';
import { prefetchImages } from './prefetch.js';

const argv = process.argv.slice(2);
// Both commands list images: ask the engine now, and load the CLI while it answers.
if (argv.includes('tags') || argv.includes('repos')) prefetchImages(process.env);

// Not Cli.defaultContext: reading process.stdin opens a stream and loads readline, a few
// milliseconds dkr-ls never uses; stdin is only touched if something asks for it.
const context = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  colorDepth: 1,
  get stdin() {
    return process.stdin;
  },
} as BaseContext;

// After one turn of the event loop, so the request is on the wire before clipanion loads.
setImmediate(() => {
  void import('./cli.js')
    .then(({ run }) => run(argv, context))
    .then((code) => {
      process.exitCode = code;
    });
});
