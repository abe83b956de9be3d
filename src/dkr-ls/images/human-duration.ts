// The CREATED column as docker prints it: go-units HumanDuration of now - created, + " ago".

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** go-units `HumanDuration` for a duration in milliseconds, with its boundaries and rounding. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  // Go: int(d.Hours() + 0.5), hours rounded to nearest from here on.
  const hours = Math.trunc(ms / HOUR + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / HOUR) / 24 / 365)} years`;
}

// Go's zero time.Time as unix seconds: docker prints N/A for an image created then.
const GO_ZERO_TIME = -62135596800;

/** docker's CREATED cell for an image created at `created` (unix seconds). */
export function createdSince(created: number, nowMs: number): string {
  if (created === GO_ZERO_TIME) return 'N/A';
  return `${humanDuration(nowMs - created * 1000)} ago`;
}
