// deploy/prometheus/fleet-rules.yaml is what docs/logging.md tells operators to load: promtool
// must accept it, every alert must fire in its unit test (fleet-rules.test.yaml) and stay quiet
// in a healthy one, and every series it reads must be one fleet's /metrics exposes.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import YAML from 'yaml';
import { requireTool } from '../support.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..', '..');
const dir = path.join(root, 'deploy', 'prometheus');

interface Rules {
  groups: { rules: { alert: string; expr: string }[] }[];
}
interface UnitTests {
  rule_files: string[];
  tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const rules = (YAML.parse(fs.readFileSync(path.join(dir, 'fleet-rules.yaml'), 'utf8')) as Rules).groups.flatMap((g) => g.rules);
const unit = YAML.parse(fs.readFileSync(path.join(dir, 'fleet-rules.test.yaml'), 'utf8')) as UnitTests;

t.test('promtool accepts the rules and their unit tests pass', async (t) => {
  if (!(await requireTool(t, 'promtool', 'prometheus'))) return;
  const check = await run('promtool', ['check', 'rules', 'fleet-rules.yaml'], { cwd: dir });
  t.match(check.stdout, /SUCCESS: \d+ rules found/, 'promtool check rules');
  const test = await run('promtool', ['test', 'rules', 'fleet-rules.test.yaml'], { cwd: dir });
  t.match(test.stdout, /SUCCESS/, 'promtool test rules');
});

t.test('every alert has a case where it fires and one where it stays quiet', async (t) => {
  t.same(unit.rule_files, ['fleet-rules.yaml'], 'the unit tests load the rules file');
  const cases = unit.tests.flatMap((c) => c.alert_rule_test);
  for (const { alert } of rules) {
    const mine = cases.filter((c) => c.alertname === alert);
    t.ok(mine.some((c) => c.exp_alerts.length > 0), `${alert} fires in a test`);
    t.ok(mine.some((c) => c.exp_alerts.length === 0), `${alert} stays quiet in a test`);
  }
});

t.test("every series the rules read is one fleet's /metrics exposes", async (t) => {
  const metrics = fs.readFileSync(path.join(root, 'src', 'fleet', 'admin', 'metrics.ts'), 'utf8');
  const names = new Set(rules.flatMap((r) => r.expr.match(/\bfleet_[a-z_]+/g) ?? []));
  t.ok(names.size > 5, 'the rules read fleet series');
  for (const name of names) {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    // fleet_primary_* are prom-client's default metrics under the primary's prefix.
    const exposed = base.startsWith('fleet_primary_') ? metrics.includes("prefix: 'fleet_primary_'") : metrics.includes(`'${base}'`);
    t.ok(exposed, `${name} is exposed by src/fleet/admin/metrics.ts`);
  }
});

t.test('docs/logging.md shows the rules file as it is', async (t) => {
  const logging = fs.readFileSync(path.join(root, 'docs', 'logging.md'), 'utf8');
  const file = fs.readFileSync(path.join(dir, 'fleet-rules.yaml'), 'utf8');
  const block = /<!-- rules:start -->\n```yaml\n([\s\S]*?)```\n<!-- rules:end -->/.exec(logging);
  t.ok(block, 'logging.md has the rules block');
  t.equal(block?.[1], file, 'the block is deploy/prometheus/fleet-rules.yaml, byte for byte');
});
