import { Cli } from 'clipanion';
import { run } from './cli.js';

void run(process.argv.slice(2), Cli.defaultContext).then((code) => {
  process.exitCode = code;
});
