// The engine's image list as the rows `docker images` prints: one per repository and tag,
// in the engine's order (newest first).
import { NONE, digestRepository, splitRepoTag } from './reference.js';

/** What GET /images/json returns per image (the fields dkr-ls reads). */
export interface ImageSummary {
  Id: string;
  Created: number;
  Size: number;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
}

export interface ImageRow {
  repository: string;
  tag: string;
  /** Full image ID, `sha256:…`. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** Bytes. */
  size: number;
  repoTags: string[];
  repoDigests: string[];
}

// The engine reports "untagged" as [], ["<none>:<none>"] or null depending on its API version.
function realReferences(list: string[] | null | undefined, none: string): string[] {
  return (list ?? []).filter((ref) => ref !== none);
}

/**
 * One image's rows, as docker/cli's formatter makes them: a dangling image is
 * `<none> <none>`; otherwise one row per tag, then `repo <none>` for each repository known
 * only by digest. docker groups tags by repository in a Go map, so with tags in several
 * repositories its order between them varies from run to run; here it is first appearance.
 */
export function imageRows(image: ImageSummary): ImageRow[] {
  const repoTags = realReferences(image.RepoTags, '<none>:<none>');
  const repoDigests = realReferences(image.RepoDigests, '<none>@<none>');
  const base = { id: image.Id, created: image.Created, size: image.Size, repoTags, repoDigests };
  if (repoTags.length === 0 && repoDigests.length === 0) return [{ ...base, repository: NONE, tag: NONE }];

  const tagsByRepository = new Map<string, string[]>();
  for (const ref of repoTags) {
    const split = splitRepoTag(ref);
    if (!split) continue;
    const tags = tagsByRepository.get(split.repository);
    if (tags) tags.push(split.tag);
    else tagsByRepository.set(split.repository, [split.tag]);
  }
  const rows: ImageRow[] = [];
  tagsByRepository.forEach((tags, repository) => {
    for (const tag of tags) rows.push({ ...base, repository, tag });
  });
  const digestOnly: string[] = [];
  for (const ref of repoDigests) {
    const repository = digestRepository(ref);
    if (repository !== undefined && !tagsByRepository.has(repository) && digestOnly.indexOf(repository) === -1) {
      digestOnly.push(repository);
    }
  }
  for (const repository of digestOnly) rows.push({ ...base, repository, tag: NONE });
  return rows;
}

export function toRows(images: readonly ImageSummary[]): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const image of images) rows.push(...imageRows(image));
  return rows;
}
