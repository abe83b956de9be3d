// The agent's view of its node: the running containers that carry the stack's labels, with
// the address on the chosen network, and their starts and deaths. The engine is a stand-in
// HTTP server on a unix socket, answering as Docker's API does.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { type ContainerEvent, LabelledContainers } from '../../../src/fleet/docker/labelled.js';
import type { Tap } from '../../support.js';

const CONTAINERS = [
  { Id: 'a', NetworkSettings: { Networks: { zeta: { IPAddress: '10.0.9.2' }, alpha: { IPAddress: '10.0.1.2' } } } },
  { Id: 'b', NetworkSettings: { Networks: { alpha: { IPAddress: '' }, zeta: { IPAddress: '10.0.9.3' } } } },
  { Id: 'c', NetworkSettings: { Networks: {} } },
  { Id: 'd' },
];

/** A stand-in engine: the container list, an event stream the test writes, or a failure. */
async function engine(t: Tap, answer: 'list' | 'fail') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-labelled-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const socketPath = path.join(dir, 'docker.sock');
  const asked: string[] = [];
  const events: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    asked.push(decodeURIComponent(req.url ?? ''));
    if (answer === 'fail') {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"message":"the engine broke"}');
    } else if (req.url?.includes('/containers/json')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(CONTAINERS));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      events.push(res);
    }
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { address: { kind: 'unix' as const, display: `unix://${socketPath}`, socketPath }, asked, events };
}

t.test('the running containers with all the labels, each with its address', async (t) => {
  const { address, asked } = await engine(t, 'list');
  const cases: [string, string | undefined, { id: string; ip: string | undefined }[]][] = [
    ['on the chosen network', 'zeta', [{ id: 'a', ip: '10.0.9.2' }, { id: 'b', ip: '10.0.9.3' }, { id: 'c', ip: undefined }, { id: 'd', ip: undefined }]],
    ['none on a network that gives none', 'alpha', [{ id: 'a', ip: '10.0.1.2' }, { id: 'b', ip: undefined }, { id: 'c', ip: undefined }, { id: 'd', ip: undefined }]],
    ['without one, the first network by name that gives an address', undefined, [{ id: 'a', ip: '10.0.1.2' }, { id: 'b', ip: '10.0.9.3' }, { id: 'c', ip: undefined }, { id: 'd', ip: undefined }]],
  ];
  for (const [what, network, want] of cases) {
    const containers = new LabelledContainers(['com.docker.stack.namespace=web', 'role=member'], network, 5_000, address);
    t.same(await containers.list(), want, what);
  }
  t.match(asked[0], /"label":\["com\.docker\.stack\.namespace=web","role=member"\]/, 'the engine is asked for the labels');
  t.match(asked[0], /"status":\["running"\]/, 'and running containers only');
});

t.test('an engine that fails fails the list: never a short one', async (t) => {
  const { address } = await engine(t, 'fail');
  const containers = new LabelledContainers(['role=member'], undefined, 5_000, address);
  t.equal(containers.address, address.display, 'it names the engine it asks');
  await t.rejects(containers.list(), /cannot list containers/);
});

t.test('starts and deaths are followed; other actions are not', async (t) => {
  const { address, events } = await engine(t, 'list');
  const containers = new LabelledContainers(['role=member'], undefined, 5_000, address);
  const seen: ContainerEvent[] = [];
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  let connected = (): void => undefined;
  const connection = new Promise<void>((resolve) => (connected = resolve));
  let heard = (): void => undefined;
  const done = new Promise<void>((resolve) => (heard = resolve));
  const following = containers.follow(
    (event) => {
      seen.push(event);
      if (seen.length === 2) heard();
    },
    () => connected(),
    () => undefined,
    abort.signal,
  );
  await connection;
  const stream = events[0];
  for (const line of [
    { Action: 'start', Actor: { ID: 'a' } },
    { Action: 'exec_create', Actor: { ID: 'a' } },
    { Action: 'die', Actor: { ID: '' } },
    { Action: 'die', Actor: { ID: 'b' } },
  ])
    stream.write(JSON.stringify(line) + '\n');
  await done;
  t.same(seen, [
    { action: 'start', id: 'a' },
    { action: 'die', id: 'b' },
  ]);
  abort.abort();
  await following;
});
