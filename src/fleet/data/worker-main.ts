// The entry of dist/fleet-worker.cjs, what the primary forks for each balancer worker.
import type { WorkerConfig } from './messages.js';
import { runWorker } from './worker.js';

const config = JSON.parse(process.env.FLEET_WORKER_CONFIG ?? 'null') as WorkerConfig | null;
if (!config || !process.send) {
  process.stderr.write('fleet-worker: run by fleet up, not by hand\n');
  process.exit(2);
}
void runWorker(config, process.env.FLEET_WORKER_SLOT ?? '?');
