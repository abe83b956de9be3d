// Members hold nothing they don't need, as Docker and the kernel report it, and the
// list push still works under all of it: no process as root, no capability, a read-only
// root, memory without swap, a CPU, pids and open-files limit.
import t from 'tap';
import { MEMBER_GID, MEMBER_OPEN_FILES, MEMBER_PIDS_LIMIT, MEMBER_PORT, MEMBER_UID } from '../../../src/fleet/config.js';
import { IMAGE, converged, docker, fleet, get, inspectMembers, lines, requireEngine, up } from './harness.js';

const MiB = 1024 * 1024;

interface Inspect {
  Config: { User: string };
  HostConfig: {
    CapAdd: string[] | null;
    CapDrop: string[] | null;
    Privileged: boolean;
    SecurityOpt: string[] | null;
    ReadonlyRootfs: boolean;
    IpcMode: string;
    Memory: number;
    MemorySwap: number;
    NanoCpus: number;
    PidsLimit: number | null;
    Ulimits: { Name: string; Soft: number; Hard: number }[] | null;
    Tmpfs: Record<string, string> | null;
  };
}

async function inspect(id: string): Promise<Inspect> {
  return (JSON.parse(await docker('inspect', id)) as Inspect[])[0];
}

/** Each line of `docker exec`'s combined output, and whether the command succeeded. */
async function execIn(id: string, ...cmd: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    return { ok: true, output: await docker('exec', id, ...cmd) };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() };
  }
}

t.test('the member image itself runs unprivileged on the member port', async (t) => {
  if (!(await requireEngine(t))) return;
  const config = JSON.parse(await docker('image', 'inspect', '--format', '{{json .Config}}', IMAGE)) as { User: string; ExposedPorts: Record<string, unknown> };
  t.equal(config.User, `${MEMBER_UID}:${MEMBER_GID}`, `${IMAGE} runs as ${MEMBER_UID}:${MEMBER_GID} without being told`);
  t.same(Object.keys(config.ExposedPorts), [`${MEMBER_PORT}/tcp`], `${IMAGE} exposes ${MEMBER_PORT} only`);
});

t.test('members run with nothing they do not need, and the list push works under it', async (t) => {
  if (!(await requireEngine(t))) return;
  const d = await up(t, 'priv', 2, ['--member-memory', '48m', '--member-cpus', '0.25']);
  await converged(d.name, 2);
  const [id] = (await inspectMembers(d.name)).keys();

  t.test('docker inspect shows every restriction', async (t) => {
    const { Config, HostConfig: host } = await inspect(id);
    t.equal(Config.User, `${MEMBER_UID}:${MEMBER_GID}`, 'an explicit unprivileged user');
    t.same(host.CapDrop, ['ALL'], 'every capability dropped');
    t.same(host.CapAdd ?? [], [], 'none added');
    t.equal(host.Privileged, false, 'not privileged');
    t.ok(host.SecurityOpt?.some((o) => /^no-new-privileges(:true)?$/.test(o)), 'no-new-privileges');
    t.equal(host.ReadonlyRootfs, true, 'a read-only root filesystem');
    t.equal(host.IpcMode, 'none', 'no IPC namespace to share, no /dev/shm');
    t.equal(host.Memory, 48 * MiB, '--member-memory reached the container');
    t.equal(host.MemorySwap, host.Memory, 'no swap beyond the memory');
    t.equal(host.NanoCpus, 250_000_000, '--member-cpus reached the container');
    t.equal(host.PidsLimit, MEMBER_PIDS_LIMIT, 'a pids limit');
    t.same(host.Ulimits?.find((u) => u.Name === 'nofile'), { Name: 'nofile', Soft: MEMBER_OPEN_FILES, Hard: MEMBER_OPEN_FILES }, 'an open-files limit');
    t.same(Object.keys(host.Tmpfs ?? {}).sort(), ['/run/nginx', '/srv/fleet'], 'two tmpfs');
  });

  t.test('no process runs as root, the nginx master included, and none holds a capability', async (t) => {
    const top = lines(await docker('top', id, '-o', 'pid,uid,gid,args')).slice(1);
    t.ok(top.some((l) => /nginx: master process/.test(l)), `the nginx master runs: ${top.join(' | ')}`);
    t.ok(top.some((l) => /nginx: worker process/.test(l)), 'and its worker');
    for (const line of top) {
      const [, uid, gid] = line.trim().split(/\s+/);
      t.equal(`${uid}:${gid}`, `${MEMBER_UID}:${MEMBER_GID}`, `runs as ${MEMBER_UID}:${MEMBER_GID}: ${line.trim()}`);
    }
    const status = (await execIn(id, 'cat', '/proc/1/status')).output;
    t.match(status, new RegExp(`^Uid:\\s+${MEMBER_UID}\\s+${MEMBER_UID}\\s+${MEMBER_UID}\\s+${MEMBER_UID}$`, 'm'), 'the master has no root uid, real, effective or saved');
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) t.match(status, new RegExp(`^${set}:\\s+0+$`, 'm'), `the master's ${set} is empty`);
    t.match(status, /^NoNewPrivs:\s+1$/m, 'and it cannot gain any');
  });

  t.test('the root filesystem is read-only, even for root; only the tmpfs take writes', async (t) => {
    for (const target of ['/etc/fleet-probe', '/usr/local/bin/fleet-probe', '/tmp/fleet-probe', '/var/tmp/fleet-probe']) {
      const write = await execIn(id, 'sh', '-c', `echo x > ${target}`);
      t.notOk(write.ok, `${target} cannot be written`);
    }
    const asRoot = await docker('exec', '-u', '0', id, 'sh', '-c', 'touch /etc/fleet-probe 2>&1 || true');
    t.match(asRoot, /Read-only file system/, 'not even by root, for the filesystem itself is read-only');
    t.notOk((await execIn(id, 'touch', '/dev/shm/fleet-probe')).ok, 'no /dev/shm');
    t.notOk((await execIn(id, 'touch', '/dev/mqueue/fleet-probe')).ok, 'no message queue');
    t.ok((await execIn(id, 'touch', '/run/nginx/fleet-probe')).ok, "nginx's tmpfs takes writes");

    const mounts = lines(await docker('exec', id, 'cat', '/proc/mounts'));
    const root = mounts.find((m) => m.split(' ')[1] === '/');
    t.match(root ?? '', / ro[, ]/, 'the root is mounted read-only');
    for (const dir of ['/run/nginx', '/srv/fleet']) {
      const mount = mounts.find((m) => m.split(' ')[1] === dir) ?? '';
      const options = mount.split(' ')[3]?.split(',') ?? [];
      t.equal(mount.split(' ')[2], 'tmpfs', `${dir} is a tmpfs`);
      for (const flag of ['rw', 'nosuid', 'nodev', 'noexec', `uid=${MEMBER_UID}`, `gid=${MEMBER_GID}`]) t.ok(options.includes(flag), `${dir} is ${flag}`);
      t.ok(options.some((o) => /^size=\d+k$/.test(o)), `${dir} is size-capped: ${mount}`);
    }
  });

  t.test('the list push still works: add and docker kill converge', async (t) => {
    const added = await fleet(['add', '--name', d.name]);
    t.equal(added.code, 0, added.stderr);
    const three = await converged(d.name, 3);
    t.equal(three.length, 3, 'three members serve the same list after add');

    const [victim] = (await inspectMembers(d.name)).keys();
    await docker('kill', victim);
    const after = await converged(d.name, 3);
    t.notOk([...(await inspectMembers(d.name)).keys()].includes(victim), 'the killed member is gone');
    const answer = await get('127.0.0.1', d.port);
    t.equal(answer.status, 200, 'the balancer answers');
    t.same(lines(answer.body), after, 'with the list every member holds');

    for (const member of (await inspectMembers(d.name)).keys()) {
      const listing = lines(await docker('exec', member, 'ls', '-A', '/srv/fleet'));
      t.same(listing, ['members.txt'], `${member.slice(0, 12)} keeps no temporary file next to its list`);
    }
  });
});
