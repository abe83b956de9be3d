// The README's usage block is checked against the CLI's own usage text.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { buildCli } from '../../src/fleet/cli.js';

const readme = fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

t.test('every fleet command appears in the README with its current usage line', async (t) => {
  const definitions = buildCli()
    .definitions()
    .filter((d) => !d.path.includes('-h') && !d.path.includes('-v'));
  t.ok(definitions.length >= 5, 'up, add, remove, status and down are defined');
  for (const d of definitions) {
    t.ok(readme.includes(d.usage), `README shows "${d.usage}"`);
    for (const option of d.options) {
      const name = option.definition.split(' ')[0];
      t.ok(readme.includes(`\`${name}\``), `README documents ${name} of ${d.path}`);
    }
  }
});
