// Compile-time checks of the protocol's types, run by `npm run lint` (tsc), not by tap: the
// lint fails when a line marked as an expected error below stops being a type error.
import { call } from '../../../../src/fleet/control/socket/client.js';
import type { Handlers } from '../../../../src/fleet/control/socket/protocol.js';

export async function calls(): Promise<void> {
  const status = await call('f', 'status', {});
  status.members.map((m) => m.ip);
  (await call('f', 'scale', { delta: 1 })).added.map((m) => m.id);
  (await call('f', 'down', {})).removedContainers.toFixed();
  (await call('f', 'rollout', { image: 'fleet-nginx:2', readyTimeoutMs: 60_000 })).previous.toUpperCase();

  // @ts-expect-error scale needs its delta
  await call('f', 'scale', {});
  // @ts-expect-error delta is a number
  await call('f', 'scale', { delta: '1' });
  // @ts-expect-error down takes no arguments
  await call('f', 'down', { delta: 1 });
  // @ts-expect-error a rollout needs its ready timeout
  await call('f', 'rollout', { image: 'fleet-nginx:2' });
  // @ts-expect-error no such route
  await call('f', 'restart', {});
  // @ts-expect-error a status has no removedContainers
  void status.removedContainers;
}

export const wrongAnswers: Handlers = {
  // @ts-expect-error status must answer a FleetStatus
  status: () => Promise.resolve({ removedContainers: 0, removedNetwork: false }),
  scale: (body) => Promise.resolve({ added: [], removed: [], status: { name: String(body.delta), desired: 1, port: 1, host: '', image: '', pid: 1, members: [], workers: [] } }),
  // @ts-expect-error down answers what it removed
  down: () => Promise.resolve({}),
  // @ts-expect-error reload answers the workers
  reload: () => Promise.resolve({ workers: 2 }),
  // @ts-expect-error a rollout answers the images and members
  rollout: () => Promise.resolve({ image: 'x' }),
};
