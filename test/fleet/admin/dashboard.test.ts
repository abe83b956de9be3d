// The live dashboard in a real headless Chromium, served by a real daemon on the real engine:
// it shows every member; after a `docker kill` the open page shows the replacement and drops
// the dead one without a reload, and an event names the death; after the daemon itself is
// killed it says it is reconnecting and comes back by itself when a successor serves.
import { mkdtemp, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import t from 'tap';
import { converged, docker, fleetName, freePort, inspectMembers, registerCleanup, requireEngine, startDaemon } from '../e2e/harness.js';
import { CONNECTION, inPage, launch, memberRows, requireChromium, SHOWN_MEMBERS, shownEvents, until, watchedPage } from './browser.js';

/** Waits until the page's member table shows exactly these members (id to IP), nothing else. */
function showsMembers(page: Page, members: ReadonlyMap<string, string>): Promise<void> {
  const want = [...members].map(([id, ip]) => `${id} ${ip}`).sort();
  return until(page, `JSON.stringify(${SHOWN_MEMBERS}) === ${JSON.stringify(JSON.stringify(want))}`);
}

const LIVE = `${CONNECTION} === 'live'`;

t.test('the dashboard follows a real fleet live in a real browser', async (t) => {
  if (!(await requireEngine(t)) || !(await requireChromium(t))) return;
  const name = fleetName('dash');
  registerCleanup(t, name);
  const adminPort = await freePort();
  const daemon = await startDaemon(name, await freePort(), 3, ['--admin-port', String(adminPort)]);
  const origin = `http://127.0.0.1:${adminPort}`;
  const ips = await converged(name, 3);
  const before = await inspectMembers(name);

  const browser = await launch(t);
  const { page, requests, errors, navigations } = await watchedPage(browser);
  await page.goto(`${origin}/`, { waitUntil: 'domcontentloaded' });
  await showsMembers(page, before);
  t.pass(`the page shows every member's IP: ${ips.join(', ')}`);
  await until(page, LIVE);
  t.equal(await inPage(page, "document.querySelector('#fleet-name').textContent"), name, 'it names the fleet');
  const rows = await memberRows(page);
  t.ok(
    rows.every((row) => row.state === 'up' && row.health === 'healthy' && row.list === 'in sync'),
    'every member shows as up, healthy and holding the list',
  );

  const shots = await mkdtemp(path.join(os.tmpdir(), 'fleet-dashboard-'));
  const first = path.join(shots, 'dashboard.png');
  await page.screenshot({ path: first });
  t.ok((await stat(first)).size > 10_000, `a screenshot is saved (${first})`);

  const [deadId, deadIp] = [...before][1];
  await docker('kill', deadId);
  await converged(name, 3);
  const after = await inspectMembers(name);
  const replacements = [...after].filter(([id]) => !before.has(id));
  t.equal(replacements.length, 1, 'the daemon replaced the dead member');
  t.notOk(after.has(deadId), 'the dead member is gone');
  // Docker may hand the freed address to the replacement: members are told apart by id.
  await showsMembers(page, after);
  t.pass(`without a reload, the page shows the replacement (${replacements.map(([id, ip]) => `${id.slice(0, 12)} ${ip}`).join(', ')}) and not the dead ${deadId.slice(0, 12)} ${deadIp}`);
  t.equal(navigations(), 1, 'the page was loaded once and never reloaded');

  await until(page, `[...document.querySelectorAll('#events li')].some((li) => li.textContent.includes(${JSON.stringify(deadIp)}) && /died/.test(li.textContent))`, 30_000);
  const death = (await shownEvents(page)).find((e) => e.text.includes(deadIp) && /died/.test(e.text));
  t.ok(death, `an event names the death of ${deadIp}: ${death ? `${death.event} ${death.text}` : 'none'}`);
  await page.screenshot({ path: path.join(shots, 'after-kill.png') });

  const foreign = requests.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin);
  t.same(foreign, [], `every request the page made went to the admin origin (${requests.length} requests)`);
  t.ok(requests.some((url) => url === `${origin}/api/events`), 'the page reads the event stream');
  t.same(errors, [], 'no console errors');

  t.test('when the daemon dies the page says so, and a successor brings it back without a reload', async (t) => {
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    await until(page, `${CONNECTION} === 'reconnecting…'`, 30_000);
    t.equal(await inPage(page, CONNECTION), 'reconnecting…', 'the page shows that the stream is down');
    await page.screenshot({ path: path.join(shots, 'reconnecting.png') });

    const successor = await startDaemon(name, await freePort(), 3, ['--admin-port', String(adminPort)]);
    t.teardown(() => {
      successor.child.kill('SIGKILL');
    });
    await converged(name, 3);
    await until(page, LIVE);
    await showsMembers(page, await inspectMembers(name));
    t.pass('the page is live again and shows the adopted members');
    t.equal(navigations(), 1, 'still the same page, never reloaded');
    // While the daemon was gone the browser logged its failed attempts to reach the stream; nothing else.
    const other = errors.filter((e) => !/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|\/api\/events/.test(e));
    t.same(other, [], 'no console error but the failed reconnection attempts');
  });
});
