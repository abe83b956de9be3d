// What only `fleet up` (and `fleet down` without a daemon) needs: the daemon with its
// balancer, controller and Docker client, and pino for JSON logs. Bundled apart (dist/fleet-daemon.cjs) so that
// add, remove and status start without parsing any of it.
export { Daemon } from './daemon.js';
export { exitOnBug, setUpCluster } from './primary-process.js';
export { Engine } from './docker/engine.js';
export { removeFleet } from './docker/teardown.js';
export { pinoJson } from '../log/pino-json.js';
export { SwarmDaemon } from './swarm/daemon.js';
export { SwarmTasks } from './docker/swarm-tasks.js';
export { StackControl } from './docker/stack-control.js';
