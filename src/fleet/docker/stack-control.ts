// What `fleet add|remove --stack` and `fleet status --stack` ask a Swarm manager beyond the
// balancer's reads (SwarmTasks): which node it is, a new replica count for the members'
// service, and a balancer's own status, read inside the balancer's container on this node
// (a manager cannot exec on another node, and the admin listener is not published).
import { FleetError, messageOf } from '../errors.js';
import type { BalancerView } from '../swarm/scale.js';
import { engineError, execOutput } from './engine.js';
import { SwarmTasks } from './swarm-tasks.js';

/** Swarm refuses an update made from an older version of the service: read again and retry. */
const UPDATE_TRIES = 5;
/** The status read inside the balancer: Node 24's fetch on its admin listener. */
const READ_STATUS = "fetch('http://127.0.0.1:' + process.argv[1] + '/api/status').then((r) => r.text()).then((t) => process.stdout.write(t), (e) => { console.error(e.message); process.exit(1); })";

export class StackControl extends SwarmTasks {
  /** This engine's node id; refuses an engine that is no Swarm manager. */
  async localNode(): Promise<string> {
    let info: { Swarm?: { NodeID?: string; ControlAvailable?: boolean } };
    try {
      info = (await this.api.info()) as typeof info;
    } catch (error) {
      throw engineError('cannot ask the engine about its Swarm', error, this.address);
    }
    if (!info.Swarm?.NodeID || !info.Swarm.ControlAvailable) throw new FleetError('FLEET_NOT_A_MANAGER', `${this.address} is not a Swarm manager: changing a stack needs a manager's engine (DOCKER_HOST)`);
    return info.Swarm.NodeID;
  }

  /** Sets a replicated service's replicas to `replicas(the count it has)`; returns the count set. */
  async scale(service: string, replicas: (from: number) => number): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      let inspected: { Version?: { Index?: number }; Spec?: { Mode?: { Replicated?: { Replicas?: number } } } };
      try {
        inspected = (await this.api.getService(service).inspect()) as typeof inspected;
      } catch (error) {
        throw engineError(`cannot inspect the service ${service}`, error, this.address);
      }
      const spec = inspected.Spec;
      const from = spec?.Mode?.Replicated?.Replicas;
      if (!spec || from === undefined) throw new FleetError('FLEET_BAD_INPUT', `${service} is not a replicated service: fleet add and remove change its replicas`);
      const to = replicas(from);
      try {
        await this.api.getService(service).update({ _query: { version: inspected.Version?.Index ?? 0 }, _body: { ...spec, Mode: { Replicated: { Replicas: to } } } });
        return to;
      } catch (error) {
        // "update out of sequence": another client changed the service since it was read.
        if (attempt < UPDATE_TRIES && /out of sequence/i.test(messageOf(error))) continue;
        throw engineError(`cannot scale the service ${service}`, error, this.address);
      }
    }
  }

  /** A balancer's /api/status, read inside its container. */
  async balancerStatus(container: string, port: number): Promise<BalancerView> {
    let output: string;
    let code: number | null;
    try {
      ({ output, code } = await execOutput(this.api, container, ['/opt/node/bin/node', '-e', READ_STATUS, String(port)]));
    } catch (error) {
      throw engineError(`cannot read the balancer's status in ${container.slice(0, 12)}`, error, this.address);
    }
    if (code !== 0) throw new FleetError('FLEET_ENGINE_ERROR', `the balancer's admin listener in ${container.slice(0, 12)} did not answer: ${output.trim().split('\n').pop() ?? ''}`);
    try {
      return JSON.parse(output) as BalancerView;
    } catch {
      throw new FleetError('FLEET_ENGINE_ERROR', `the balancer in ${container.slice(0, 12)} answered something other than its status`);
    }
  }
}
