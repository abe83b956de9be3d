// `fleet agent` (the built bin) on the real local engine, as one Swarm node's agent would
// run: three members of the stand-in image made from member-spec.ts and labelled for this
// run, a secret in a file, and the balancer's side played by the agent client.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import t from 'tap';
import { MEMBER_PORT } from '../../../src/fleet/config.js';
import { memberContainer } from '../../../src/fleet/docker/member-spec.js';
import { memberName, networkName } from '../../../src/fleet/names.js';
import { followEvents, getStatus, putList } from '../../../src/fleet/agent/client.js';
import type { AgentEvent, ListReply, StatusReply } from '../../../src/fleet/agent/protocol.js';
import { IMAGE, LAUNCHER, RUN_ID, docker, fleetName, freePort, get, registerCleanup, requireEngine, sortIps, until } from './harness.js';

const SECRET = `agent-test-secret-${RUN_ID}-0123456789`;
const RUN_LABEL = 'io.fleet.test-agent';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

t.test('fleet agent serves the lists of its node, signed, newest only, and reports deaths at once', async (t) => {
  if (!(await requireEngine(t))) return;
  const name = fleetName('agent');
  // Removes the members (labelled io.fleet.name=NAME) and the network, also on failure.
  registerCleanup(t, name);
  const engine = new Docker();
  await engine.createNetwork({ Name: networkName(name), Driver: 'bridge', Labels: { 'io.fleet.name': name } });

  const startMember = async (): Promise<{ id: string; ip: string }> => {
    const spec = { fleet: name, image: IMAGE, labels: { [RUN_LABEL]: RUN_ID }, limits: { memoryBytes: 64 * 1024 * 1024, cpus: 0.5 } };
    const container = await engine.createContainer(memberContainer(spec, memberName(name, Math.random().toString(36).slice(2, 8))));
    await container.start();
    const info = await container.inspect();
    return { id: info.Id, ip: info.NetworkSettings.Networks[networkName(name)].IPAddress };
  };
  const members = await Promise.all([startMember(), startMember(), startMember()]);
  const ips = sortIps(members.map((m) => m.ip));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-agent-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const secretFile = path.join(dir, 'secret');
  fs.writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  const port = await freePort();
  const child: ChildProcess = spawn(
    LAUNCHER,
    ['agent', '--selector', `${RUN_LABEL}=${RUN_ID}`, '--selector', 'io.fleet.role=member', '--network', networkName(name), '--host', '127.0.0.1', '--port', String(port), '--secret-file', secretFile, '--converge-timeout', '5000', '--log-level', 'DEBUG'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
  });
  t.ok(await until(async () => output.includes('agent.listening') || child.exitCode !== null, 20_000), 'the agent says it listens');
  t.match(output, /agent\.listening/, `the agent started:\n${output}`);

  const target = { host: '127.0.0.1', port, secret: SECRET };
  // A member's nginx may not listen yet on a busy machine: no answer is no list.
  const serves = async (ip: string): Promise<string> => (await get(ip, MEMBER_PORT).catch(() => ({ body: '' }))).body;
  const servesSoon = (ip: string, text: string): Promise<boolean> => until(async () => (await serves(ip)) === text, 5_000);
  const listText = (list: string[]): string => list.map((ip) => `${ip}\n`).join('');

  const first = (await getStatus(target)).body as StatusReply;
  t.same(sortIps(first.members.map((m) => m.ip)), ips, 'GET /status names the three members on this node');
  t.equal(first.generation, null, 'no list yet');

  const events: (AgentEvent & { seen: number })[] = [];
  const stream = await followEvents(target, (event) => events.push({ ...event, seen: Date.now() }));
  t.teardown(() => stream.stop());

  const pushed = await putList(target, { generation: 10, ips });
  t.equal(pushed.status, 200);
  t.equal((pushed.body as ListReply).outcome, 'converged', 'PUT /list answers once every member holds generation 10');
  t.same((pushed.body as ListReply).members.map((m) => m.generation), [10, 10, 10], 'each member holds 10');
  for (const member of members) t.ok(await servesSoon(member.ip, listText(ips)), `member ${member.ip} serves the list`);

  const stale = await putList(target, { generation: 9, ips: ips.slice(0, 1) });
  t.equal(stale.status, 200);
  t.same({ outcome: (stale.body as ListReply).outcome, generation: (stale.body as ListReply).generation }, { outcome: 'stale', generation: 10 }, 'an older generation is acknowledged as stale');
  const wrong = await putList({ ...target, secret: 'a-wrong-secret-of-enough-length' }, { generation: 11, ips: ips.slice(0, 2) });
  t.equal(wrong.status, 401, 'the wrong secret gets 401');
  await sleep(300);
  for (const member of members) t.equal(await serves(member.ip), listText(ips), `member ${member.ip} still serves generation 10`);
  t.equal(((await getStatus(target)).body as StatusReply).generation, 10, 'the agent still holds generation 10');

  const victim = members[0];
  const killedAt = Date.now();
  await docker('kill', victim.id);
  t.ok(await until(async () => events.some((e) => e.type === 'die' && e.id === victim.id), 1_000), 'the death shows on /events within a second');
  const death = events.find((e) => e.type === 'die' && e.id === victim.id);
  t.equal(death?.ip, victim.ip, 'the death names the address the member had');
  t.comment(`die on /events ${(death?.seen ?? Date.now()) - killedAt} ms after docker kill began`);

  const newcomer = await startMember();
  t.ok(await until(async () => events.some((e) => e.type === 'start' && e.id === newcomer.id), 2_000), 'the new member shows on /events');
  t.ok(await servesSoon(newcomer.ip, listText(ips)), 'the new member serves the current list at once');
  const holding = ((await getStatus(target)).body as StatusReply).members;
  t.same(holding.find((m) => m.id === newcomer.id)?.generation, 10, 'GET /status says the new member holds generation 10');
  t.notOk(holding.some((m) => m.id === victim.id), 'the dead member is gone from /status');

  const next = sortIps([members[1].ip, members[2].ip, newcomer.ip]);
  const update = (await putList(target, { generation: 12, ips: next })).body as ListReply;
  t.equal(update.outcome, 'converged', 'a newer list converges on the three live members');
  for (const ip of next) t.ok(await servesSoon(ip, listText(next)), `member ${ip} serves generation 12`);
  t.notMatch(output, /bug\./, 'no bug was logged');
});
