// The members' image: whether an image is one this daemon can run under its member spec
// (one built before members ran unprivileged would write to the read-only root and listen
// elsewhere; one without the list reader cannot take lists on a session), and building the
// default one when it is missing.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../log.js';
import { DEFAULT_IMAGE, MEMBER_GID, MEMBER_PORT, MEMBER_UID } from '../config.js';
import { FleetError } from '../errors.js';

/** The label a member image carries: 2 is the list reader `fleet-set-members --follow`. */
export const MEMBER_API_LABEL = 'io.fleet.member-api';
export const MEMBER_API = '2';

export interface ImageConfig {
  User?: string;
  ExposedPorts?: Record<string, unknown> | null;
  Labels?: Record<string, string> | null;
}

/** What is wrong with the image for a member, in words that follow its name; undefined when nothing. */
export function memberImageProblem(config: ImageConfig): string | undefined {
  const user = `${MEMBER_UID}:${MEMBER_GID}`;
  const port = `${MEMBER_PORT}/tcp`;
  const problems: string[] = [];
  if (config.User !== user) problems.push(`runs as ${config.User ? `"${config.User}"` : 'root'}, not ${user}`);
  if (!Object.keys(config.ExposedPorts ?? {}).includes(port)) problems.push(`does not expose ${port}`);
  if (config.Labels?.[MEMBER_API_LABEL] !== MEMBER_API) problems.push(`has no list reader (label ${MEMBER_API_LABEL}=${MEMBER_API})`);
  return problems.length ? `is not a current fleet member image (it ${problems.join(' and ')})` : undefined;
}

/** What ensureMemberImage needs of the engine (docker/engine.ts implements it). */
export interface ImageEngine {
  readonly address: string;
  imageConfig(image: string): Promise<ImageConfig | undefined>;
  buildImage(image: string, contextDir: string, files: string[], onProgress: (line: string) => void): Promise<void>;
}

/** The directory holding images/nginx, wherever fleet was installed or bundled. */
function nginxContext(): string {
  const candidates = [
    process.env.FLEET_NGINX_CONTEXT,
    process.argv[1] && path.resolve(path.dirname(fs.realpathSync(process.argv[1])), '..', 'images', 'nginx'),
    path.resolve('images', 'nginx'),
  ];
  for (const dir of candidates) if (dir && fs.existsSync(path.join(dir, 'Dockerfile'))) return dir;
  throw new FleetError('FLEET_IMAGE_MISSING', `cannot find images/nginx to build ${DEFAULT_IMAGE}; set FLEET_NGINX_CONTEXT`);
}

/**
 * Makes sure the members' image is there and fit: the default one is built from
 * images/nginx when missing or out of date; any other must exist and be a member image.
 */
export async function ensureMemberImage(engine: ImageEngine, image: string, log: Logger): Promise<void> {
  const config = await engine.imageConfig(image);
  const problem = config && memberImageProblem(config);
  if (config && !problem) return;
  if (image !== DEFAULT_IMAGE) {
    if (problem) throw new FleetError('FLEET_IMAGE_INCOMPATIBLE', `image ${image} ${problem}; rebuild it from images/nginx (the stand-in: npm run image:offline)`);
    throw new FleetError('FLEET_IMAGE_MISSING', `image ${image} not found on the engine at ${engine.address}; build or load it first`);
  }
  const context = nginxContext();
  log.info('image.build', { image, context, ...(problem ? { replacing: problem } : {}) });
  await engine.buildImage(image, context, ['Dockerfile', 'nginx.conf', 'fleet-set-members'], (line) => log.info('image.build', { step: line }));
}
