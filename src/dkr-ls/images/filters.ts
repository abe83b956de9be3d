// The listing filters, in the order the issue fixes: --prefix, --minAge, --minSize, then
// --maxTags. Pure functions over rows, so each is tested with tables.
import type { ImageRow } from './rows.js';

export interface FilterOptions {
  prefixes?: readonly string[];
  /** Days. */
  minAge?: number;
  /** Bytes. */
  minSize?: number;
  maxTags?: number;
}

export interface FilterStep {
  filter: 'prefix' | 'minAge' | 'minSize' | 'maxTags';
  value: string;
  kept: number;
  removed: ImageRow[];
}

const DAY_SECONDS = 24 * 60 * 60;

/** Rows whose repository starts with one of `prefixes` (literally; no prefixes keeps all). */
export function byPrefix(rows: readonly ImageRow[], prefixes: readonly string[]): ImageRow[] {
  if (prefixes.length === 0) return rows.slice();
  return rows.filter((row) => prefixes.some((prefix) => row.repository.startsWith(prefix)));
}

/** Rows created more than `days` × 24 hours before `nowMs`. */
export function byMinAge(rows: readonly ImageRow[], days: number, nowMs: number): ImageRow[] {
  const cutoff = nowMs / 1000 - days * DAY_SECONDS;
  return rows.filter((row) => row.created < cutoff);
}

/** Rows whose image is strictly larger than `bytes`. */
export function byMinSize(rows: readonly ImageRow[], bytes: number): ImageRow[] {
  return rows.filter((row) => row.size > bytes);
}

/** Each repository's first `n` rows: its newest tags, since rows come newest first. */
export function maxTagsPerRepository(rows: readonly ImageRow[], n: number): ImageRow[] {
  const seen = new Map<string, number>();
  return rows.filter((row) => {
    const count = seen.get(row.repository) ?? 0;
    seen.set(row.repository, count + 1);
    return count < n;
  });
}

/** Applies the filters that are set, in order; `steps` says what each one removed. */
export function applyFilters(
  rows: readonly ImageRow[],
  options: FilterOptions,
  nowMs: number,
): { rows: ImageRow[]; steps: FilterStep[] } {
  let current = rows.slice();
  const steps: FilterStep[] = [];
  const step = (filter: FilterStep['filter'], value: string, next: ImageRow[]) => {
    const keep = new Set(next);
    steps.push({ filter, value, kept: next.length, removed: current.filter((row) => !keep.has(row)) });
    current = next;
  };
  if (options.prefixes && options.prefixes.length > 0) step('prefix', options.prefixes.join(','), byPrefix(current, options.prefixes));
  if (options.minAge !== undefined) step('minAge', String(options.minAge), byMinAge(current, options.minAge, nowMs));
  if (options.minSize !== undefined) step('minSize', String(options.minSize), byMinSize(current, options.minSize));
  if (options.maxTags !== undefined) step('maxTags', String(options.maxTags), maxTagsPerRepository(current, options.maxTags));
  return { rows: current, steps };
}

/** The summed size of the listed images, each image counted once however many tags it has. */
export function totalSize(rows: readonly ImageRow[]): { bytes: number; images: number } {
  const seen = new Set<string>();
  let bytes = 0;
  for (const row of rows) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    bytes += row.size;
  }
  return { bytes, images: seen.size };
}

/** Repositories in order of first appearance. */
export function repositories(rows: readonly ImageRow[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const row of rows) {
    if (seen.has(row.repository)) continue;
    seen.add(row.repository);
    out.push(row.repository);
  }
  return out;
}
