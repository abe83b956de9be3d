import { Command } from 'clipanion';
import { MEMBER_STOP_GRACE_SECONDS } from '../config.js';
import { call } from '../control/socket/client.js';
import { ControlChannelError, NoDaemonError } from '../control/socket/errors.js';
import type { DownResult } from '../control/types.js';
import { FleetError } from '../errors.js';
import { loadDaemon } from '../load-daemon.js';
import type { FleetContext } from './context.js';
import { nameOption } from './options.js';

export class DownCommand extends Command<FleetContext> {
  static override paths = [['down']];

  static override usage = Command.Usage({
    category: 'Daemon',
    description: "stop a fleet: the daemon exits and the fleet's containers and network are removed",
    details: `
      Asks the daemon to stop. When no daemon runs (no control socket, or nothing accepts on it: the daemon was killed), removes what that fleet left in Docker instead: its labelled containers and its network. A daemon that does not answer in time is left alone, and so is everything it runs.
    `,
    examples: [
      ['Stop the fleet', '$0 down'],
      ['Stop the fleet "blue"', '$0 down --name blue'],
    ],
  });

  name = nameOption();

  async execute(): Promise<number> {
    let result: DownResult;
    try {
      result = await call(this.name, 'down', {}, { timeoutMs: this.context.controlTimeoutMs });
    } catch (error) {
      if (error instanceof ControlChannelError) throw new FleetError(error.code, `${error.message}; nothing was removed, since its daemon may still run`);
      if (!(error instanceof NoDaemonError)) throw error;
      result = await this.removeLeftovers();
    }
    this.context.stdout.write(`fleet "${this.name}" is down: removed ${result.removedContainers} containers${result.removedNetwork ? ' and its network' : ''}\n`);
    return 0;
  }

  // No daemon: clean up after one that died, or say there is nothing to stop.
  private async removeLeftovers(): Promise<DownResult> {
    // Loaded here, not at start-up: dockerode is most of the bundle's start-up cost.
    const { Engine, removeFleet } = await loadDaemon();
    const engine = new Engine();
    await engine.ping();
    const removed = await removeFleet(engine, this.name, () => MEMBER_STOP_GRACE_SECONDS);
    if (removed.removedContainers === 0 && !removed.removedNetwork) {
      throw new FleetError('FLEET_NOT_RUNNING', `fleet "${this.name}" is not running`);
    }
    return removed;
  }
}
