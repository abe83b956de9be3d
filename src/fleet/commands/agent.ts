import fs from 'node:fs';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { LOG_LEVELS, Logger } from '../../log.js';
import { stdioDestination } from '../../log/fd-destination.js';
import { isLogLevel } from '../../cli/validators.js';
import { parseSecret } from '../agent/auth.js';
import { FleetError } from '../errors.js';
import { loadAgent } from '../load-agent.js';
import { integerOption } from './options.js';

export const DEFAULT_AGENT_PORT = 9181;
export const DEFAULT_AGENT_HOST = '0.0.0.0';
export const DEFAULT_SECRET_FILE = '/run/secrets/fleet-agent';
const SELECTOR = /^[A-Za-z0-9][A-Za-z0-9._/-]*=[^\s=][^\s]*$/;

export class AgentCommand extends Command {
  static override paths = [['agent']];

  static override usage = Command.Usage({
    category: 'Swarm',
    description: "run one node's agent: the list sessions with its members, for the stack's balancers",
    details: `
      Finds the running containers of this node's engine (\`DOCKER_HOST\`) that carry every \`--selector\` label (\`KEY=VALUE\`, repeatable; on Swarm \`com.docker.swarm.service.name=STACK_members\`), holds a list session with each, and follows their starts and deaths.

      It listens on \`--host\`:\`--port\` for the stack's balancers, every request signed with the secret in \`--secret-file\` (docs/swarm.md): \`PUT /list\` with \`{generation, ips}\` pushes a list newer than the one held to every local member and answers once they all hold it, or after \`--converge-timeout\` milliseconds with which do; an older or equal generation is answered \`stale\` and not pushed. \`GET /status\` gives the members and the generation each holds, \`GET /events\` streams their starts and deaths as JSON lines. \`--network\` names the network whose address is a member's (default: its first network by name).

      SIGINT and SIGTERM stop it; the members keep the lists they serve.
    `,
    examples: [
      ['On a Swarm node, for the stack "web"', '$0 agent --selector com.docker.swarm.service.name=web_members'],
      ['Two labels, another port and secret', '$0 agent --selector com.docker.stack.namespace=web --selector io.fleet.role=member --port 9200 --secret-file ./agent.secret'],
    ],
  });

  selectors = Option.Array('--selector', [], { description: 'A KEY=VALUE label every member carries (repeatable, at least one; all must match)', validator: t.isArray(t.cascade(t.isString(), [t.matchesRegExp(SELECTOR)])) });
  network = Option.String('--network', { description: "The network whose address is a member's (default: the member's first network by name)" });
  port = integerOption('--port', DEFAULT_AGENT_PORT, 0, 65535, `The port the balancers reach the agent on (default ${DEFAULT_AGENT_PORT})`);
  host = Option.String('--host', DEFAULT_AGENT_HOST, { description: `The address the agent listens on (default ${DEFAULT_AGENT_HOST}: the stack's network reaches it)` });
  secretFile = Option.String('--secret-file', DEFAULT_SECRET_FILE, { description: `The file holding the stack's shared secret, 16 bytes at least (default ${DEFAULT_SECRET_FILE}, a Docker secret)` });
  convergeTimeout = integerOption('--converge-timeout', 10_000, 100, 600_000, 'Milliseconds PUT /list waits for every local member to hold the list (default 10000)');
  resync = integerOption('--resync', 10_000, 500, 3_600_000, 'Milliseconds between full re-lists of the members, besides events (default 10000)');
  logLevel = Option.String('--log-level', 'INFO', { description: `One of ${LOG_LEVELS.join(', ')} (default INFO)`, validator: isLogLevel });
  logFormat = Option.String('--log-format', 'text', { description: 'text or json (default text)', validator: t.isEnum(['text', 'json'] as const) });

  async execute(): Promise<number> {
    // Not clipanion's `required`: a missing flag is then "Command not found" and a page of usage.
    if (this.selectors.length === 0) throw new FleetError('FLEET_BAD_INPUT', 'fleet agent needs at least one --selector KEY=VALUE: the labels that pick the members');
    const secret = readSecret(this.secretFile);
    const { Agent, pinoJson } = await loadAgent();
    const log = new Logger({ level: this.logLevel, destination: stdioDestination(this.context.stderr), format: this.logFormat, json: this.logFormat === 'json' ? pinoJson() : undefined });
    const agent = new Agent(
      { selectors: this.selectors, network: this.network, host: this.host, port: this.port, secret, convergeTimeoutMs: this.convergeTimeout, resyncMs: this.resync },
      log,
    );
    process.on('uncaughtException', (error) => log.error('bug.uncaught', { error }));
    process.on('unhandledRejection', (reason) => log.error('bug.unhandled_rejection', { error: reason instanceof Error ? reason : String(reason) }));
    const stopped = new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    try {
      await agent.start();
    } catch (error) {
      await agent.close();
      throw error;
    }
    const signal = await stopped;
    log.info('signal.received', { signal });
    await agent.close();
    return 0;
  }
}

export function readSecret(file: string): Buffer {
  let content: Buffer;
  try {
    content = fs.readFileSync(file);
  } catch (error) {
    throw new FleetError('FLEET_BAD_INPUT', `cannot read the secret file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const secret = parseSecret(content);
  if (!secret.ok) throw new FleetError('FLEET_BAD_INPUT', `${file}: ${secret.error}`);
  return secret.value;
}
