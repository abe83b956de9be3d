// Loads the daemon's half of fleet. In the bundles this import is rewritten to the
// separate dist/fleet-daemon.cjs (scripts/build.mjs); from source it is a plain import.
export function loadDaemon(): Promise<typeof import('./daemon-bundle.js')> {
  return import('./daemon-bundle.js');
}
