// The README's dkr-ls section is checked against the CLI's own usage text.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { buildCli } from '../../src/dkr-ls/cli.js';

const readme = fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const start = readme.indexOf('<!-- dkr-ls:start -->');
const section = readme.slice(start, readme.indexOf('<!-- dkr-ls:end -->'));

t.test('every dkr-ls command appears in the README with its current usage line and flags', async (t) => {
  t.ok(start !== -1, 'the README has a dkr-ls section');
  const definitions = buildCli()
    .definitions()
    .filter((d) => d.path === 'dkr-ls tags' || d.path === 'dkr-ls repos');
  t.equal(definitions.length, 2, 'tags and repos are defined');
  for (const d of definitions) {
    t.ok(section.includes(d.usage), `README shows "${d.usage}"`);
    for (const option of d.options) {
      const name = option.definition.split(/[ ,]/)[0];
      t.ok(section.includes(`\`${name}\``), `README documents ${name} of ${d.path}`);
    }
  }
});
