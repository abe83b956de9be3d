// Sizes as docker prints them (go-units): decimal units, divided by 1000 in floating point
// exactly as Go does, then Go's %g.
import { formatGoG } from './go-float.js';

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** go-units `HumanSizeWithPrecision`: the SIZE column uses precision 3 (`22.1MB`). */
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  return formatGoG(size, precision) + DECIMAL_UNITS[unit];
}

/** go-units `HumanSize` (precision 4), what `docker system df` prints; used for TOTAL. */
export function humanSize(bytes: number): string {
  return humanSizeWithPrecision(bytes, 4);
}
