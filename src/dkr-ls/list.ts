// What both commands do first: ask the engine for its images, turn them into docker's
// rows, and apply the filters, logging each step at DEBUG.
import { EngineClient } from '../engine/client.js';
import type { Env } from '../engine/address.js';
import type { Logger } from '../log.js';
import { fromEngineError } from './errors.js';
import { takePrefetched } from './prefetch.js';
import { type FilterOptions, applyFilters } from './images/filters.js';
import { type ImageRow, type ImageSummary, toRows } from './images/rows.js';

export interface ListOptions extends FilterOptions {
  log: Logger;
  env?: Env;
  now?: () => number;
}

function isImageList(value: unknown): value is ImageSummary[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'object' && item !== null && typeof (item as ImageSummary).Id === 'string');
}

function refOf(row: ImageRow): string {
  return `${row.repository}:${row.tag}`;
}

/** The engine's images as rows, filtered. */
export async function listRows(options: ListOptions): Promise<ImageRow[]> {
  const { log } = options;
  let images: ImageSummary[];
  try {
    const client = new EngineClient({ env: options.env });
    const path = client.path('/images/json');
    log.debug('engine request', { method: 'GET', path, address: client.address.display });
    const started = Date.now();
    const body = await (takePrefetched(client) ?? client.getJson('/images/json'));
    if (!isImageList(body)) throw new Error(`GET ${path} did not return a list of images`);
    images = body;
    log.debug('engine response', { images: images.length, ms: Date.now() - started });
  } catch (error) {
    throw fromEngineError(error);
  }
  const rows = toRows(images);
  log.debug('rows', { rows: rows.length });
  const now = options.now ? options.now() : Date.now();
  const result = applyFilters(rows, options, now);
  for (const step of result.steps) {
    log.debug('filter', {
      filter: step.filter,
      value: step.value,
      removed: step.removed.length,
      kept: step.kept,
      refs: step.removed.length ? step.removed.map(refOf).join(',') : undefined,
    });
  }
  log.info('listed', { rows: result.rows.length, of: rows.length });
  return result.rows;
}
