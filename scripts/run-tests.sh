#!/usr/bin/env bash
# `npm test` (after the build): the unit run with coverage and its floor (npm run test:unit), then the Docker
# end-to-end files and the image tests without coverage (they drive the built bundles in
# other processes, so in-process coverage would say nothing about them). Both halves always
# run; the exit status fails if either failed. Arguments go to the end-to-end half (scripts/test.sh
# leaves the twins' tests out where the product images can be built). Serial halves cost about what one run did:
# tap ran two files at once either way.
set -uo pipefail
cd "$(dirname "$0")/.."
npm run test:unit
unit=$?
npx tap --disable-coverage 'test/**/e2e/**/*.test.ts' 'test/images/**/*.test.ts' "$@"
e2e=$?
exit $((unit != 0 ? unit : e2e))
