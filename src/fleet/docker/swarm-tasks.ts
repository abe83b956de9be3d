// What the balancer asks a Swarm manager, on dockerode: the members' tasks, and whether the
// stack is there at all. Reads only; the manager's socket is mounted read-only.
import Docker from 'dockerode';
import { FleetError } from '../errors.js';
import type { SwarmNode, SwarmService } from '../swarm/stack-status.js';
import type { SwarmTask } from '../swarm/tasks.js';
import { dockerOptions, engineError, resolveAddress } from './engine.js';

export class SwarmTasks {
  protected readonly api: Docker;
  readonly address: string;

  constructor(timeoutMs: number) {
    const address = resolveAddress();
    this.address = address.display;
    this.api = new Docker({ ...dockerOptions(address), timeout: timeoutMs });
  }

  /** Every task of `service`, in any state (GET /tasks?filters={"service":[…]}). */
  async tasks(service: string): Promise<SwarmTask[]> {
    try {
      return (await this.api.listTasks({ filters: JSON.stringify({ service: [service] }) })) as SwarmTask[];
    } catch (error) {
      throw engineError(`cannot list the tasks of ${service}`, error, this.address);
    }
  }

  /** The Swarm's nodes (GET /nodes): `fleet status --stack` groups the tasks by them. */
  async nodes(): Promise<SwarmNode[]> {
    try {
      return (await this.api.listNodes()) as SwarmNode[];
    } catch (error) {
      throw engineError('cannot list the Swarm nodes', error, this.address);
    }
  }

  /** A service as the manager holds it (GET /services/NAME): its image, replicas and update. */
  async service(name: string): Promise<SwarmService> {
    try {
      return (await this.api.getService(name).inspect()) as SwarmService;
    } catch (error) {
      throw engineError(`cannot inspect the service ${name}`, error, this.address);
    }
  }

  /** Refuses a stack whose members' service this engine does not know: a worker node's engine, or a wrong name. */
  async requireService(service: string): Promise<void> {
    try {
      await this.api.getService(service).inspect();
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404) throw new FleetError('FLEET_NO_STACK', `no service ${service} on ${this.address}: deploy the stack first, and give --stack the stack's name`);
      if (status === 503) throw new FleetError('FLEET_NOT_A_MANAGER', `${this.address} is not a Swarm manager: reading a stack's tasks needs a manager's engine (DOCKER_HOST)`);
      throw engineError(`cannot inspect the service ${service}`, error, this.address);
    }
  }
}
