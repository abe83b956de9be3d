import { Cli } from 'clipanion';
import { run } from './cli.js';

/** Once a command is done, what it left open may hold the process this long, no longer. */
const EXIT_GRACE_MS = 2_000;

void run(process.argv.slice(2), Cli.defaultContext).then((code) => {
  process.exitCode = code;
  // A finished command exits even when something still holds the event loop: a Docker
  // connection the engine never closes (an exec into a container removed meanwhile) must not
  // keep a stopped daemon alive. The grace lets queued log lines reach their reader.
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
});
