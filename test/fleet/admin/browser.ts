// A real headless Chromium (Debian's `chromium`) driven by puppeteer-core, for the tests of
// the admin dashboard. Like the Docker engine: a missing browser fails in CI and skips,
// with the reason, elsewhere.
import { access, constants } from 'node:fs/promises';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { Tap } from '../../support.js';

export const CHROMIUM = process.env.FLEET_TEST_CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'];

/** True when Chromium is installed; false after failing (CI) or skipping the test. */
export async function requireChromium(t: Tap): Promise<boolean> {
  try {
    await access(CHROMIUM, constants.X_OK);
    return true;
  } catch {
    const problem = `no browser at ${CHROMIUM} (run scripts/ensure-tools.sh: Debian's chromium)`;
    if (process.env.CI) t.fail(problem);
    else t.plan(0, `skip: ${problem}`);
    return false;
  }
}

/** A browser that teardown closes, even when the test fails. */
export async function launch(t: Tap): Promise<Browser> {
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, protocolTimeout: 120_000 });
  t.teardown(() => browser.close());
  return browser;
}

export interface Watched {
  page: Page;
  /** Every URL the page asked for, in order. */
  requests: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Main-frame navigations: 1 means the page was never reloaded. */
  navigations: () => number;
}

/** A page whose requests, errors and navigations are recorded from the start. */
export async function watchedPage(browser: Browser): Promise<Watched> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  page.setDefaultTimeout(60_000);
  const requests: string[] = [];
  const errors: string[] = [];
  let navigations = 0;
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url ?? ''})`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${(error as Error).message}`));
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  return { page, requests, errors, navigations: () => navigations };
}

// What runs in the page is written as text: the project's types have no DOM.

/** Evaluates a JavaScript expression in the page. */
export async function inPage<T>(page: Page, expression: string): Promise<T> {
  return (await page.evaluate(expression)) as T;
}

/** Waits until a JavaScript expression is true in the page. */
export async function until(page: Page, expression: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(expression, { polling: 250, timeout });
}

/** The IPs the members table shows, sorted. */
export const SHOWN_IPS = "[...document.querySelectorAll('#members tbody tr td:nth-child(2)')].map((td) => td.textContent).sort()";

/** The members the table shows, as "id ip" lines, sorted (a row's data-id is the member's id). */
export const SHOWN_MEMBERS = "[...document.querySelectorAll('#members tbody tr')].map((tr) => tr.dataset.id + ' ' + tr.children[1].textContent).sort()";

/** The stream's state as the page shows it: live, reconnecting…, … */
export const CONNECTION = "document.querySelector('#conn').textContent";

/** The members table as the page shows it: one object per row, keyed by column label. */
export function memberRows(page: Page): Promise<Record<string, string>[]> {
  return inPage(
    page,
    `(() => {
      const labels = [...document.querySelectorAll('#members thead th')].map((th) => th.textContent);
      return [...document.querySelectorAll('#members tbody tr')].map((tr) => Object.fromEntries([...tr.children].map((td, i) => [labels[i], td.textContent])));
    })()`,
  );
}

/** The events list as shown, newest first: event name, its text and its kind (k-good, k-bad…). */
export function shownEvents(page: Page): Promise<{ event: string; text: string; kind: string }[]> {
  return inPage(page, "[...document.querySelectorAll('#events li')].map((li) => ({ event: li.children[1].textContent, text: li.children[2].textContent, kind: li.className }))");
}
