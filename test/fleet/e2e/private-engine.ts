// A Docker engine of a test's own, for what would disturb every other test on the shared
// one: restarting it. Its own socket, data root, exec root and address pool (a free 10.N/16,
// apart from the shared engine's 172.16/12), no iptables rules, and a default bridge of its
// own. Engines that run at once (test files in parallel, a bench) each take a second octet
// no route of the host uses: 10.N.0.0/17 for networks, 10.N.255.1/24 for the bridge. Two of
// dockerd's ways delete the host's docker0, which the shared engine needs: `--bridge=none`,
// and a restart with an address pool and without --live-restore. So it always runs with
// --live-restore: the members it runs outlive an `outage()`.
// The stand-in member image is copied into it. `throttle()` holds dockerd and containerd
// to a share of one CPU with a cgroup v1 quota (a slow engine on purpose, issue 15), undone
// by the function it returns and by `stop()`.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface PrivateEngine {
  /** DOCKER_HOST for it. */
  host: string;
  /** Stops the engine (SIGTERM: its containers keep running), runs `meanwhile`, and starts it again. */
  outage(meanwhile?: () => Promise<void>): Promise<void>;
  /** Runs docker against it. */
  docker(...args: string[]): Promise<string>;
  /** Removes a network, waiting while the engine releases the endpoints of containers just removed; false when it kept some (left to `stop()`). */
  removeNetwork(name: string): Promise<boolean>;
  /** dockerd's and containerd's pids, as they run now. */
  pids(): Promise<number[]>;
  /** CPU seconds used so far by dockerd, containerd and the container shims alive now (user + system, children reaped included). */
  cpuSeconds(): Promise<{ dockerd: number; containerd: number; shims: number }>;
  /** Holds dockerd and containerd (and the shims they start) to `percent` of one CPU; resolves with the undo. */
  throttle(percent: number): Promise<() => Promise<void>>;
  stop(): Promise<void>;
}

const CPU_CGROUP = '/sys/fs/cgroup/cpu';

/** Moves every process of a cgroup v1 group back to the root and removes the group, retrying while late shims leave. */
async function releaseGroup(dir: string): Promise<void> {
  if (!fs.existsSync(dir)) return;
  fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), '-1');
  for (let i = 0; i < 50; i++) {
    for (const pid of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        fs.writeFileSync(path.join(CPU_CGROUP, 'cgroup.procs'), pid);
      } catch {
        // Gone meanwhile.
      }
    }
    try {
      fs.rmdirSync(dir);
      return;
    } catch {
      await sleep(200);
    }
  }
  throw new Error(`cannot remove the cgroup ${dir}: processes still in it`);
}

/** A process's CPU time in seconds: user and system, its own and its reaped children's (/proc/PID/stat, 100 ticks a second). */
function processSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start at the state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
}

/** A second octet N that no address or route of the host uses in 10.N/16, tried in random order. */
async function freeOctet(): Promise<number> {
  const { stdout } = await run('sh', ['-c', 'ip -4 route show table all; ip -4 addr']);
  const used = new Set([...stdout.matchAll(/\b10\.(\d+)\./g)].map((m) => Number(m[1])));
  const free = Array.from({ length: 64 }, (_, i) => 120 + i).filter((n) => !used.has(n));
  if (!free.length) throw new Error('no free 10.N/16 for a private engine: 10.120 to 10.183 are all in use');
  return free[Math.floor(Math.random() * free.length)];
}

export async function startPrivateEngine(images: string[]): Promise<PrivateEngine> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-engine-'));
  const socket = path.join(root, 'docker.sock');
  const host = `unix://${socket}`;
  let child: ChildProcess | undefined;
  // A bridge per engine, named after its directory (at most 15 characters).
  const bridge = `fleet${path.basename(root).slice(-8).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`;
  const octet = await freeOctet();
  await run('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `10.${octet}.255.1/24`, 'dev', bridge]);
  await run('ip', ['link', 'set', bridge, 'up']);
  const args = [
    `--host=${host}`,
    `--data-root=${path.join(root, 'data')}`,
    `--exec-root=${path.join(root, 'exec')}`,
    `--pidfile=${path.join(root, 'docker.pid')}`,
    `--bridge=${bridge}`,
    '--iptables=false',
    '--ip6tables=false',
    `--default-address-pool=base=10.${octet}.0.0/17,size=24`,
    '--live-restore',
  ];
  const docker = async (...dockerArgs: string[]): Promise<string> => (await run('docker', dockerArgs, { env: { ...process.env, DOCKER_HOST: host }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();

  const start = async (): Promise<void> => {
    const log = fs.openSync(path.join(root, 'dockerd.log'), 'a');
    child = spawn('dockerd', args, { stdio: ['ignore', log, log], detached: true });
    fs.closeSync(log);
    for (let i = 0; i < 150; i++) {
      try {
        await docker('info', '--format', '{{.ServerVersion}}');
        return;
      } catch {
        await sleep(200);
      }
    }
    throw new Error(`the private engine did not answer within 30 s: ${fs.readFileSync(path.join(root, 'dockerd.log'), 'utf8').slice(-2000)}`);
  };
  const halt = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000)]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  };

  // After `rm -f` of a few hundred containers the engine releases their endpoints a moment
  // later, or keeps some of the removed containers' for good (runs of 250 here, even after
  // `network disconnect --force`): "has active endpoints". Tried for 5 s, then left to `stop()`,
  // which removes the engine's whole data root.
  const removeNetwork = async (name: string): Promise<boolean> => {
    for (let i = 0; ; i++) {
      try {
        await docker('network', 'rm', name);
        return true;
      } catch (error) {
        if (!/active endpoints/.test(String((error as { stderr?: string }).stderr))) throw error;
        if (i >= 25) return false;
        await sleep(200);
      }
    }
  };

  const cpuSeconds = async (): Promise<{ dockerd: number; containerd: number; shims: number }> => {
    const [dockerd, containerd] = await pids();
    const address = `-address ${path.join(root, 'exec', 'containerd', 'containerd.sock')}`;
    let shims = 0;
    for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(address)) shims += processSeconds(Number(pid));
      } catch {
        // Gone meanwhile.
      }
    }
    return { dockerd: processSeconds(dockerd), containerd: processSeconds(containerd), shims };
  };

  let group: string | undefined;
  const pids = async (): Promise<number[]> => {
    const dockerd = child?.pid;
    if (dockerd === undefined || child?.exitCode !== null) throw new Error('the private engine is not running');
    // dockerd starts its containerd under its exec root; wait for it, it comes a moment later.
    const pidfile = path.join(root, 'exec', 'containerd', 'containerd.pid');
    for (let i = 0; i < 50 && !fs.existsSync(pidfile); i++) await sleep(100);
    const containerd = Number(fs.readFileSync(pidfile, 'utf8').trim());
    return [dockerd, containerd];
  };
  const throttle = async (percent: number): Promise<() => Promise<void>> => {
    const dir = path.join(CPU_CGROUP, `fleet-${path.basename(root)}`);
    fs.mkdirSync(dir, { recursive: true });
    group = dir;
    try {
      fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), '100000');
      fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(Math.round(percent * 1000)));
      for (const pid of await pids()) fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
    } catch (error) {
      await releaseGroup(dir);
      throw error;
    }
    return async () => {
      if (group === dir) group = undefined;
      await releaseGroup(dir);
    };
  };

  await start();
  for (const image of images) {
    await run('sh', ['-c', `docker save ${image} | DOCKER_HOST=${host} docker load -q`], { timeout: 120_000 });
  }
  return {
    host,
    docker,
    removeNetwork,
    pids,
    cpuSeconds,
    throttle,
    async outage(meanwhile) {
      await halt();
      await meanwhile?.();
      await start();
    },
    async stop() {
      // Full speed again first: the cleanup below would otherwise crawl.
      if (group) await releaseGroup(group).catch(() => undefined);
      try {
        const ids = (await docker('ps', '-aq')).split('\n').filter(Boolean);
        if (ids.length) await docker('rm', '-f', ...ids);
        const networks = (await docker('network', 'ls', '-q', '--filter', 'type=custom')).split('\n').filter(Boolean);
        if (networks.length) await docker('network', 'rm', ...networks);
      } catch {
        // The engine is going anyway.
      }
      await halt();
      // Shims of containers the engine lost track of (one broken by an outage as it started)
      // outlive it: end them.
      await run('pkill', ['-KILL', '-f', '--', `-address ${path.join(root, 'exec', 'containerd')}`]).catch(() => undefined);
      // Mounts (overlay, netns) that dockerd leaves under its roots.
      await run('sh', ['-c', `grep -o " ${root}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`]).catch(() => undefined);
      await run('ip', ['link', 'del', bridge]).catch(() => undefined);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
