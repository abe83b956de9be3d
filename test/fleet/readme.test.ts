// The README's commands and flags are the CLIs' own definitions, rendered by
// src/cli/usage-markdown.ts (scripts/readme-usage.mjs writes them): a README whose block
// differs from what the CLIs say now fails here.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { buildCli } from '../../src/fleet/cli.js';
import { buildCli as buildDkrLsCli } from '../../src/dkr-ls/cli.js';
import { renderUsageBlock, replaceUsageBlock, usageBlockOf } from '../../src/cli/usage-markdown.js';

const readme = fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const expected = renderUsageBlock(buildCli().definitions(), buildDkrLsCli().definitions());

t.test("the README's usage block is the one the CLIs' definitions render", async (t) => {
  const block = usageBlockOf(readme);
  t.ok(block, 'the README has the usage markers');
  t.equal(block, expected, 'the block is current (run node scripts/readme-usage.mjs after changing a command)');
});

t.test('the rendered block names every command and every flag, with no clipanion placeholders', async (t) => {
  for (const d of [...buildCli().definitions(), ...buildDkrLsCli().definitions()]) {
    if (/ (-h|-v|--help|--version)$/.test(d.path)) continue;
    t.ok(expected.includes(`#### \`${d.path}\``), `${d.path} has a section`);
    for (const option of d.options) {
      const name = option.definition.split(/[ ,]/)[0];
      t.ok(expected.includes(`\`${name}`), `${d.path} lists ${name}`);
    }
  }
  t.notMatch(expected, /#0/, 'no #0 placeholder');
  for (const flag of ['--admin-port', '--admin-host', '--no-admin']) t.match(expected, flag, `${flag} is shown`);
});

t.test('a README whose block differs from the CLI is caught', async (t) => {
  const stale = replaceUsageBlock(readme, expected.replace('`--port <value>`', '`--port #0`'));
  t.not(usageBlockOf(stale), expected, 'an edited usage block no longer matches');
  t.throws(() => replaceUsageBlock('# no markers\n', expected), /no usage markers/, 'a README without markers is an error');
});
