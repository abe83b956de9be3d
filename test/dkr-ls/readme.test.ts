// The README's dkr-ls commands are generated from dkr-ls's own definitions (checked whole in
// test/fleet/readme.test.ts); here: each dkr-ls command and flag is there, and the reference
// page it links to exists.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { buildCli } from '../../src/dkr-ls/cli.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

t.test('every dkr-ls command appears in the README with its flags', async (t) => {
  const definitions = buildCli()
    .definitions()
    .filter((d) => d.path === 'dkr-ls tags' || d.path === 'dkr-ls repos');
  t.equal(definitions.length, 2, 'tags and repos are defined');
  for (const d of definitions) {
    t.ok(readme.includes(`#### \`${d.path}\``), `README has a section for ${d.path}`);
    for (const option of d.options) {
      const name = option.definition.split(/[ ,]/)[0];
      t.ok(readme.includes(`\`${name}`), `README documents ${name} of ${d.path}`);
    }
  }
  t.ok(fs.existsSync(path.join(root, 'docs', 'dkr-ls.md')), 'docs/dkr-ls.md holds the rest');
});
