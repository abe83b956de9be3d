// Loads dkr-ls's CLI for `fleet images`. In the bundles this import is rewritten to the
// separate dist/fleet-images.cjs (scripts/build.mjs); from source it is a plain import.
export function loadImages(): Promise<typeof import('./images-bundle.js')> {
  return import('./images-bundle.js');
}
