// Shared by dkr-ls's tests: the real CLI run in-process with PassThrough streams, a fake
// engine on a unix socket for deterministic listings, and the real-engine guard.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import type { BaseContext } from 'clipanion';
import { run } from '../../src/dkr-ls/cli.js';
import type { ImageSummary } from '../../src/dkr-ls/images/rows.js';

const exec = promisify(execFile);

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

interface Tap {
  teardown(fn: () => unknown): void;
  fail(message: string): void;
  plan(n: number, comment?: string): void;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

/** Runs the real CLI in this process, as `dkr-ls ...args` with `env`. */
export async function dkrLs(args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const context = { stdin: new PassThrough(), stdout, stderr, env, colorDepth: 1 } as unknown as BaseContext;
  const code = await run(args, context);
  return { code, stdout: out(), stderr: err() };
}

/** A fake engine serving `images` at GET /images/json on a unix socket; returns its DOCKER_HOST. */
export async function fakeEngine(t: Tap, images: ImageSummary[] | (() => { status: number; body: string })): Promise<{ host: string; requests: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dkr-ls-fake-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const socket = path.join(dir, 'docker.sock');
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    const answer = typeof images === 'function' ? images() : { status: 200, body: JSON.stringify(images) };
    res.writeHead(answer.status, { 'Content-Type': 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { host: `unix://${socket}`, requests };
}

export { requireEngine } from '../support.js';

export async function docker(args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export const DAY = 24 * 60 * 60 * 1000;

/** Removes, when the test ends, every image carrying `label` (key=value): what the test loaded. */
export function removeImagesAtEnd(t: Tap, label: string): void {
  t.teardown(async () => {
    const ids = (await docker(['images', '-q', '--no-trunc', '--filter', `label=${label}`])).split('\n').filter(Boolean);
    if (ids.length) await docker(['rmi', '-f', ...new Set(ids)]);
  });
}
