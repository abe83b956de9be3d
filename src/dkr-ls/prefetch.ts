// Sends the one engine request a listing needs before clipanion and the commands load,
// so the engine works on its answer while the command line is parsed. The listing takes
// that answer when it asks the same engine the same thing, and asks itself otherwise.
import type { Env } from '../engine/address.js';
import { EngineClient } from '../engine/client.js';

const RESOURCE = '/images/json';

interface Pending {
  key: string;
  body: Promise<unknown>;
}

let pending: Pending | undefined;

function keyOf(client: EngineClient): string {
  return `${client.address.display} ${client.path(RESOURCE)}`;
}

/** Starts GET /images/json on `env`'s engine; a failure waits for whoever takes it. */
export function prefetchImages(env: Env): void {
  try {
    const client = new EngineClient({ env });
    const body = client.getJson(RESOURCE);
    body.catch(() => {});
    pending = { key: keyOf(client), body };
  } catch {
    // A DOCKER_HOST that does not parse: the command reports it in its own words.
  }
}

/** The prefetched answer for this client's request, at most once. */
export function takePrefetched(client: EngineClient): Promise<unknown> | undefined {
  const taken = pending;
  pending = undefined;
  return taken && taken.key === keyOf(client) ? taken.body : undefined;
}
