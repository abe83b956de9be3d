// Loads the agent's half of fleet. In the bundles this import is rewritten to the separate
// dist/fleet-agent.cjs (scripts/build.mjs); from source it is a plain import.
export function loadAgent(): Promise<typeof import('./agent-bundle.js')> {
  return import('./agent-bundle.js');
}
