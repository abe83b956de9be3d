// What tests of both tools share: a free local port, and the rule for Docker tests (a
// missing engine or image fails in CI and skips, with the reason, elsewhere).
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Tap {
  teardown(fn: () => unknown): void;
  fail(message: string): void;
  plan(n: number, comment?: string): void;
}

/** A port nothing listens on: bound once on loopback, then closed. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** True when a Docker engine answers and has `images`; false after failing (CI) or skipping the test. */
export async function requireEngine(t: Tap, images: readonly string[] = [], hint = ''): Promise<boolean> {
  let problem: string | undefined;
  try {
    await exec('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 });
  } catch (error) {
    problem = `no Docker engine answers (${(error as Error).message.split('\n')[0]})`;
  }
  for (const image of problem ? [] : images) {
    try {
      await exec('docker', ['image', 'inspect', image], { timeout: 15_000 });
    } catch {
      problem = `image ${image} is missing${hint ? ` (${hint})` : ''}`;
      break;
    }
  }
  if (!problem) return true;
  if (process.env.CI) t.fail(problem);
  else t.plan(0, `skip: ${problem}`);
  return false;
}

/** True when `command` is on PATH; false after failing (CI) or skipping the test (scripts/ensure-tools.sh installs it). */
export async function requireTool(t: Tap, command: string, pkg: string): Promise<boolean> {
  try {
    await exec('sh', ['-c', `command -v ${command}`], { timeout: 15_000 });
    return true;
  } catch {
    const problem = `${command} is missing (Debian package ${pkg}; scripts/ensure-tools.sh installs it)`;
    if (process.env.CI) t.fail(problem);
    else t.plan(0, `skip: ${problem}`);
    return false;
  }
}
