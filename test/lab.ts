// What a lab of scripts/swarm-lab.sh may leave on the host, for the tests that bring one up.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whatever lab `lab` left behind: each kind listed by the command that shows it; empty when clean. */
export async function labLeftovers(lab: string): Promise<string[]> {
  const found: string[] = [];
  const { stdout: netns } = await run('ip', ['netns', 'list']);
  found.push(...netns.split('\n').filter((line) => line.startsWith(`${lab}-`)).map((l) => `netns ${l}`));
  const { stdout: links } = await run('ip', ['-o', 'link']);
  found.push(...links.split('\n').filter((line) => line.includes(lab.slice(0, 8))).map((l) => `link ${l.split(':')[1]}`));
  const { stdout: rules } = await run('iptables', ['-S', 'FORWARD']);
  found.push(...rules.split('\n').filter((line) => line.includes(lab.slice(0, 8))).map((l) => `rule ${l}`));
  const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter((line) => line.includes(`/${lab}/`));
  found.push(...mounts.map((l) => `mount ${l.split(' ')[1]}`));
  const processes = await run('pgrep', ['-f', `/run/${lab}/`]).then(({ stdout }) => stdout.trim(), () => '');
  if (processes) found.push(`processes ${processes.split('\n').join(',')}`);
  if (fs.existsSync(`/run/${lab}`) || fs.existsSync(`/var/lib/${lab}`)) found.push('state folders');
  return found;
}
