// What only `fleet images …` needs: dkr-ls's whole CLI, run under the name `fleet images`.
// Bundled apart (dist/fleet-images.cjs) so that the other commands start without parsing it.
export { run as runImages } from '../dkr-ls/cli.js';
