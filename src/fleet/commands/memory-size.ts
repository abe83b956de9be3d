// Memory sizes as `docker run --memory` writes them: 128m, 1g, 512k, 1.5g, a byte count.
// Every unit is binary (m is MiB), as Docker reads them.

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

const SIZE_PATTERN = /^(\d+(?:\.\d+)?)(?:([kmg])i?)?b?$/i;

/** Whole bytes for `128m`, `1g`, `1.5G`, `64MiB`, `1048576`; undefined when the text is not a size. */
export function parseMemorySize(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text);
  if (!match) return undefined;
  const bytes = Math.floor(Number(match[1]) * UNITS[(match[2] ?? '').toLowerCase()]);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** The shortest exact spelling: 67108864 is `64m`, 1610612736 is `1536m`, 1000 is `1000`. */
export function formatMemorySize(bytes: number): string {
  for (const unit of ['g', 'm', 'k']) {
    if (bytes > 0 && bytes % UNITS[unit] === 0) return `${bytes / UNITS[unit]}${unit}`;
  }
  return String(bytes);
}
