// What a member may do is decided here, before Docker sees it; the images must agree with it.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { MEMBER_GID, MEMBER_OPEN_FILES, MEMBER_PIDS_LIMIT, MEMBER_PORT, MEMBER_UID } from '../../../src/fleet/config.js';
import { LIST_DIR, NGINX_RUN_DIR, type MemberSpec, memberContainer } from '../../../src/fleet/docker/member-spec.js';

const MiB = 1024 * 1024;

interface Case {
  name: string;
  spec: MemberSpec;
  memory: number;
  nanoCpus: number;
  labels: Record<string, string>;
}

const cases: Case[] = [
  {
    name: 'the defaults',
    spec: { fleet: 'blue', image: 'fleet-nginx:latest', limits: { memoryBytes: 64 * MiB, cpus: 0.5 } },
    memory: 64 * MiB,
    nanoCpus: 500_000_000,
    labels: { 'io.fleet.name': 'blue', 'io.fleet.role': 'member', 'io.fleet.image': 'fleet-nginx:latest' },
  },
  {
    name: 'the smallest member allowed',
    spec: { fleet: 'blue', image: 'i', limits: { memoryBytes: 32 * MiB, cpus: 0.1 } },
    memory: 32 * MiB,
    nanoCpus: 100_000_000,
    labels: { 'io.fleet.name': 'blue', 'io.fleet.role': 'member', 'io.fleet.image': 'i' },
  },
  {
    name: 'a whole CPU and a gigabyte',
    spec: { fleet: 'g', image: 'i', limits: { memoryBytes: 1024 * MiB, cpus: 1 } },
    memory: 1024 * MiB,
    nanoCpus: 1_000_000_000,
    labels: { 'io.fleet.name': 'g', 'io.fleet.role': 'member', 'io.fleet.image': 'i' },
  },
  {
    name: 'a third of a CPU is rounded to whole nanoCPUs',
    spec: { fleet: 'g', image: 'i', limits: { memoryBytes: 48 * MiB, cpus: 0.333 } },
    memory: 48 * MiB,
    nanoCpus: 333_000_000,
    labels: { 'io.fleet.name': 'g', 'io.fleet.role': 'member', 'io.fleet.image': 'i' },
  },
  {
    name: "a test run's labels, which cannot take the fleet's own",
    spec: { fleet: 'g', image: 'i', labels: { run: 'x', 'io.fleet.name': 'other' }, limits: { memoryBytes: 64 * MiB, cpus: 0.5 } },
    memory: 64 * MiB,
    nanoCpus: 500_000_000,
    labels: { run: 'x', 'io.fleet.name': 'g', 'io.fleet.role': 'member', 'io.fleet.image': 'i' },
  },
];

for (const c of cases) {
  t.test(`a member with ${c.name}`, async (t) => {
    const spec = memberContainer(c.spec, 'fleet-x-0000');
    const host = spec.HostConfig ?? {};
    t.equal(spec.Image, c.spec.image, 'runs the fleet image');
    t.equal(spec.name, 'fleet-x-0000');
    t.same(spec.Labels, c.labels, 'carries the fleet labels and the image it was started from');
    t.equal(host.NetworkMode, `fleet-${c.spec.fleet}`, "sits on the fleet's network");

    t.equal(spec.User, `${MEMBER_UID}:${MEMBER_GID}`, 'runs as the unprivileged member user, not root');
    t.same(host.CapDrop, ['ALL'], 'drops every capability');
    t.equal(host.CapAdd, undefined, 'adds none back');
    t.notOk(host.Privileged, 'is not privileged');
    t.same(host.SecurityOpt, ['no-new-privileges'], 'cannot gain privileges through setuid files');
    t.equal(host.ReadonlyRootfs, true, 'has a read-only root');
    t.equal(host.IpcMode, 'none', 'has no /dev/shm');

    t.equal(host.Memory, c.memory, 'has the memory it was given');
    t.equal(host.MemorySwap, c.memory, 'and no swap beyond it');
    t.equal(host.NanoCpus, c.nanoCpus, 'has its CPU limit');
    t.equal(host.PidsLimit, MEMBER_PIDS_LIMIT, 'has a pids limit');
    t.same(host.Ulimits, [
      { Name: 'nofile', Soft: MEMBER_OPEN_FILES, Hard: MEMBER_OPEN_FILES },
      { Name: 'msgqueue', Soft: 0, Hard: 0 },
    ], 'has an open-files limit and no message queues');

    t.same(Object.keys(host.Tmpfs ?? {}).sort(), [LIST_DIR, NGINX_RUN_DIR].sort(), "writes only to nginx's run directory and the list's");
    for (const [dir, options] of Object.entries(host.Tmpfs ?? {})) {
      const flags = options.split(',');
      for (const flag of ['rw', 'noexec', 'nosuid', 'nodev', `uid=${MEMBER_UID}`, `gid=${MEMBER_GID}`]) t.ok(flags.includes(flag), `${dir} is ${flag}`);
      t.ok(flags.some((f) => /^size=\d+[km]$/.test(f)), `${dir} has a size cap`);
    }
    t.equal(spec.StopSignal, 'SIGQUIT', "stops with nginx's graceful signal");
  });
}

const images = path.resolve(import.meta.dirname, '..', '..', '..', 'images', 'nginx');
const read = (file: string): string => fs.readFileSync(path.join(images, file), 'utf8');

t.test('both member images agree with the spec', async (t) => {
  for (const file of ['Dockerfile', 'offline/Dockerfile']) {
    const dockerfile = read(file);
    t.match(dockerfile, new RegExp(`^USER ${MEMBER_UID}:${MEMBER_GID}$`, 'm'), `${file} runs as the member user`);
    t.match(dockerfile, new RegExp(`^EXPOSE ${MEMBER_PORT}$`, 'm'), `${file} exposes the member port`);
    t.match(dockerfile, new RegExp(`-u ${MEMBER_UID}|--uid ${MEMBER_UID}`), `${file} creates the user with uid ${MEMBER_UID}`);
    t.match(dockerfile, new RegExp(`-g ${MEMBER_GID}|--gid ${MEMBER_GID}`), `${file} creates its group with gid ${MEMBER_GID}`);
    t.match(dockerfile, /ln -s \/run\/nginx \/var\/log\/nginx/, `${file} sends nginx's default error log to the tmpfs`);
  }
  const conf = read('nginx.conf');
  t.notMatch(conf, /^\s*user\s/m, 'nginx.conf has no user directive: the master is not root');
  t.match(conf, new RegExp(`^\\s*listen ${MEMBER_PORT} default_server;`, 'm'), 'nginx listens on the member port');
  t.notMatch(conf, /worker_processes\s+auto/, 'nginx does not count the host CPUs');
  const paths = [...conf.matchAll(/^\s*(?:pid|\w+_temp_path)\s+(\S+);/gm)].map((m) => m[1]);
  t.equal(paths.length, 6, 'the pid file and the five temp paths are set');
  for (const p of paths) t.ok(p.startsWith(`${NGINX_RUN_DIR}/`), `${p} is on the tmpfs`);
  t.match(read('fleet-set-members'), new RegExp(`dir=\\$\\{FLEET_LIST_DIR:-${LIST_DIR}\\}\\n`), 'the list is written on its tmpfs (unless a test names another directory)');
});
