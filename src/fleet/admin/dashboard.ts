// The dashboard page (dashboard.html beside this file). scripts/build.mjs puts its text into
// the bundle, so the daemon carries it wherever dist/ goes; unbundled (tests), it is read
// from the source tree.
import fs from 'node:fs';
import path from 'node:path';

/** Defined by scripts/build.mjs: the text of dashboard.html. */
declare const FLEET_DASHBOARD_HTML: string | undefined;

export function dashboardPage(): string {
  if (typeof FLEET_DASHBOARD_HTML === 'string') return FLEET_DASHBOARD_HTML;
  return fs.readFileSync(path.join(process.cwd(), 'src', 'fleet', 'admin', 'dashboard.html'), 'utf8');
}
