// compose.yaml and compose.offline.yaml as files: valid for Compose v2 (the Compose
// Specification's schema, which `docker compose` validates with, vendored here: README.md)
// and for v1 (`docker-compose config -q`), and the override in step with compose.yaml.
// e2e/compose.test.ts runs them.
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import t from 'tap';
import { OFFLINE_IMAGE } from '../../src/fleet/config.js';
import { BASE, type ComposeFile, OFFLINE, command, readCompose, requireCompose, said } from './files.js';

t.test('compose.yaml and compose.offline.yaml are valid Compose Specification files (Compose v2)', async (t) => {
  const schema = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'compose-spec.json'), 'utf8')) as object;
  // Ajv's strictTypes is a style check on schemas (union types, a oneOf branch without
  // "type": "object"); the spec's schema is valid JSON Schema without it. Unknown keywords
  // and formats still fail the compile.
  const validate = new Ajv2020({ allErrors: true, strictTypes: false }).compile(schema);
  for (const file of [BASE, OFFLINE]) {
    const ok = validate(readCompose(file));
    t.ok(ok, `${path.basename(file)} matches the schema ${ok ? '' : JSON.stringify(validate.errors)}`);
  }

  const broken: [string, (file: ComposeFile) => void][] = [
    ['a misspelt service key', (f) => (f.services.fleet.imagee = 'fleet:latest')],
    ['a healthcheck that is a number', (f) => (f.services.fleet.healthcheck = { test: 5 })],
    ['a top-level key Compose does not know', (f) => Object.assign(f, { servces: {} })],
  ];
  for (const [what, mutate] of broken) {
    const file = readCompose(BASE);
    mutate(file);
    t.notOk(validate(file), `the schema rejects ${what}`);
  }
});

t.test('compose.offline.yaml repeats compose.yaml\'s daemon command, only the members\' image changed', async (t) => {
  const base = readCompose(BASE).services.fleet.command ?? [];
  const offline = readCompose(OFFLINE).services.fleet.command ?? [];
  const at = base.indexOf('--image') + 1;
  t.ok(at > 0, 'compose.yaml names the members\' image');
  t.equal(offline[at], `\${FLEET_IMAGE:-${OFFLINE_IMAGE}}`, `the override's members default to ${OFFLINE_IMAGE}`);
  t.same(offline.map((arg, i) => (i === at ? base[at] : arg)), base, 'every other argument is the same');
});

t.test('docker-compose 1.29 reads both files (config -q)', async (t) => {
  if (!(await requireCompose(t))) return;
  for (const files of [[BASE], [BASE, OFFLINE]]) {
    const result = await command('docker-compose', [...files.flatMap((f) => ['-f', f]), 'config', '-q']);
    t.equal(result.code, 0, said(`${files.map((f) => path.basename(f)).join(' + ')} is valid`, result));
  }
});
