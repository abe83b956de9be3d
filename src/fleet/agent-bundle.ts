// What only `fleet agent` needs: the agent with its Docker client and listener. Bundled
// apart (dist/fleet-agent.cjs) so that the other commands start without parsing any of it.
export { Agent } from './agent/agent.js';
export { pinoJson } from '../log/pino-json.js';
