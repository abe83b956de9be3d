// What the compose tests share: the two Compose files, read as YAML, and docker-compose run
// as a program (a missing one fails in CI and skips elsewhere, as requireEngine does).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import type { Tap } from '../support.js';

const run = promisify(execFile);

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const BASE = path.join(ROOT, 'compose.yaml');
export const OFFLINE = path.join(ROOT, 'compose.offline.yaml');

export interface Service {
  image?: string;
  command?: string[];
  [key: string]: unknown;
}
export interface ComposeFile {
  services: Record<string, Service>;
}

export function readCompose(file: string): ComposeFile {
  return parse(fs.readFileSync(file, 'utf8')) as ComposeFile;
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** What a command's assertion says: its stderr only when it failed. */
export function said(what: string, result: Result): string {
  return result.code === 0 ? what : `${what} (exit ${result.code}: ${result.stderr.trim()})`;
}

export async function command(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 180_000): Promise<Result> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: ROOT, env, timeout, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr || e.message };
  }
}

/** True when docker-compose runs; false after failing (CI) or skipping the test, as requireEngine does. */
export async function requireCompose(t: Tap): Promise<boolean> {
  const result = await command('docker-compose', ['version', '--short'], process.env, 30_000);
  if (result.code === 0) return true;
  const problem = `docker-compose does not run (${result.stderr.trim().split('\n')[0]}); scripts/ensure-tools.sh installs it`;
  if (process.env.CI) t.fail(problem);
  else t.plan(0, `skip: ${problem}`);
  return false;
}
