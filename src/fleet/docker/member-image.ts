// Whether an image is a member image this daemon can run under its member spec: one built
// before members ran unprivileged would write to the read-only root and listen elsewhere.
import { MEMBER_GID, MEMBER_PORT, MEMBER_UID } from '../config.js';

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
