// bin/dkr-ls runs the bundle of this file (dist/dkr-ls.cjs; dist/dkr-ls.node10.cjs in the
// tool image). It loads clipanion and dkr-ls's own code, nothing else.
import type { BaseContext } from 'clipanion';
import { run } from './cli.js';

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

void run(process.argv.slice(2), context).then((code) => {
  process.exitCode = code;
});
