// The README's usage block is checked against the CLI's own usage text.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { buildCli } from '../../src/fleet/cli.js';
import { buildCli as buildImagesCli } from '../../src/dkr-ls/cli.js';

const readme = fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
// The Swarm commands are documented in docs/swarm.md, checked the same way.
const swarm = fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'docs', 'swarm.md'), 'utf8');

t.test('every fleet command appears in the README with its current usage line', async (t) => {
  const definitions = buildCli()
    .definitions()
    .filter((d) => !d.path.includes('-h') && !d.path.includes('-v'));
  t.ok(definitions.length >= 5, 'up, add, remove, status and down are defined');
  for (const d of definitions) {
    const [doc, where] = d.category?.trim() === 'Swarm' ? [swarm, 'docs/swarm.md'] : [readme, 'README'];
    t.ok(doc.includes(d.usage), `${where} shows "${d.usage}"`);
    for (const option of d.options) {
      const name = option.definition.split(' ')[0];
      t.ok(doc.includes(`\`${name}\``), `${where} documents ${name} of ${d.path}`);
    }
  }
});

t.test("every command of fleet images (dkr-ls's) appears in the README with its usage line", async (t) => {
  const lines = buildImagesCli('fleet images')
    .usage(null)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^fleet images (tags|repos) /.test(line));
  t.equal(lines.length, 2, 'tags and repos');
  for (const line of lines) t.ok(readme.includes(`\n${line}\n`), `README shows "${line}"`);
});
