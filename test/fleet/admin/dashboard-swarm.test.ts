// The dashboard of a balancer on Swarm, in a real headless Chromium, against the fixture
// admin listener answering as `fleet up --stack` does (the Swarm test reads the same fields
// from a real balancer's /api/status): the members by node, the generation each holds, and
// the stack's list, agents and balancers in the header. A fleet on one host keeps its table.
import type { Page } from 'puppeteer-core';
import t from 'tap';
import { CONNECTION, inPage, launch, memberRows, requireChromium, until, watchedPage } from './browser.js';
import { startFixture } from './fixture-server.js';

const HEADS = "[...document.querySelectorAll('#members thead th')].map((th) => th.textContent)";

async function rowsWhenLive(page: Page, count: number): Promise<Record<string, string>[]> {
  await until(page, `${CONNECTION} === 'live' && document.querySelectorAll('#members tbody tr').length === ${count}`);
  return memberRows(page);
}

t.test('on Swarm: a node column first, rows by node, each generation held, and the stack in the header', async (t) => {
  if (!(await requireChromium(t))) return;
  const fixture = await startFixture(7, 0, { swarm: true });
  t.teardown(() => fixture.close());
  const browser = await launch(t);
  const { page, errors } = await watchedPage(browser);
  await page.goto(fixture.url, { waitUntil: 'domcontentloaded' });
  const rows = await rowsWhenLive(page, 7);
  t.same((await inPage<string[]>(page, HEADS)).slice(0, 3), ['node', 'name', 'IP'], 'node, then name and IP');
  const status = fixture.status();
  const nodes = rows.map((r) => r.node);
  t.same(nodes, [...nodes].sort(), `the rows are grouped by node: ${[...new Set(nodes)].join(', ')}`);
  t.same(new Set(nodes), new Set(status.members.map((m) => m.node)), "each member's node as the balancer names it");
  const behind = status.members.find((m) => !m.inSync);
  const generation = status.list?.generation;
  for (const m of status.members) {
    const row = rows.find((r) => r.IP === m.ip);
    t.equal(row?.list, `${m.inSync ? 'in sync' : 'behind'} · ${m.generation}`, `${m.ip}: ${row?.list}`);
  }
  t.ok(behind, 'one member holds an older list');
  const header = await inPage<string>(page, "document.querySelector('#fleet-stack').textContent");
  t.equal(header, `list ${generation} of 7 · agents 2/3 linked · balancers 2 running (lab-n1, lab-n2)`, `the header: ${header}`);
  t.equal(await inPage(page, "document.querySelector('#fleet-stack').className"), 'warn', 'an agent not linked is a warning');
  await page.click('#members thead th[data-key="ip"]');
  await until(page, "document.querySelector('#members thead th[aria-sort]').dataset.key === 'ip'");
  t.pass('the other columns still sort');
  t.same(errors, [], 'no console errors');
});

t.test('on one host: no node column, no stack line, the list column as before', async (t) => {
  if (!(await requireChromium(t))) return;
  const fixture = await startFixture(3);
  t.teardown(() => fixture.close());
  const browser = await launch(t);
  const { page, errors } = await watchedPage(browser);
  await page.goto(fixture.url, { waitUntil: 'domcontentloaded' });
  const rows = await rowsWhenLive(page, 3);
  t.equal((await inPage<string[]>(page, HEADS))[0], 'name', 'the name comes first');
  t.ok(rows.every((r) => r.list === 'in sync' && !('node' in r)), 'in sync, no node');
  t.equal(await inPage(page, "document.querySelector('#fleet-stack').hidden"), true, 'no stack line');
  t.equal(await inPage(page, "document.querySelectorAll('#members col').length"), 10, 'ten columns, as ten cells a row');
  t.same(errors, [], 'no console errors');
});
