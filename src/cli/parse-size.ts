// --minSize input. Decimal units match what the SIZE column prints (100MB = 100,000,000
// bytes); binary units are there for people who think in MiB.

const MULTIPLIERS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  p: 1e15,
  pb: 1e15,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

const SIZE_PATTERN = /^(\d+(?:\.\d+)?|\.\d+) ?([A-Za-z]*)$/;

/** Bytes for `100MB`, `1.5GB`, `512KiB`, `1000`; undefined when the text is not a size. */
export function parseSize(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const multiplier = MULTIPLIERS[match[2].toLowerCase()];
  if (multiplier === undefined) return undefined;
  const bytes = Number(match[1]) * multiplier;
  return Number.isFinite(bytes) ? bytes : undefined;
}
