// Image references as `docker images` shows them: repository and tag, in the short form.

export const NONE = '<none>';

export interface RepoTag {
  repository: string;
  tag: string;
}

/** Docker Hub names in the short form docker prints: docker.io/library/nginx is nginx. */
export function familiarName(name: string): string {
  let rest = name;
  for (const domain of ['docker.io/', 'index.docker.io/']) {
    if (name.startsWith(domain)) rest = name.slice(domain.length);
  }
  if (rest === name) return name;
  const official = rest.startsWith('library/') ? rest.slice('library/'.length) : undefined;
  return official !== undefined && official !== '' && !official.includes('/') ? official : rest;
}

/**
 * Splits `repo:tag` at the last `:` after the last `/` (`localhost:5000/app:1.0` is
 * `localhost:5000/app` + `1.0`); undefined when there is no tag or no repository.
 */
export function splitRepoTag(reference: string): RepoTag | undefined {
  const at = reference.indexOf('@');
  const named = at === -1 ? reference : reference.slice(0, at);
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  if (colon <= slash || colon === named.length - 1 || colon === 0) return undefined;
  const repository = named.slice(0, colon);
  if (repository === NONE) return undefined;
  return { repository: familiarName(repository), tag: named.slice(colon + 1) };
}

/** The repository of `repo@sha256:…`; undefined for `<none>@<none>` and malformed digests. */
export function digestRepository(reference: string): string | undefined {
  const at = reference.indexOf('@');
  if (at <= 0 || at === reference.length - 1) return undefined;
  const repository = reference.slice(0, at);
  if (repository === NONE) return undefined;
  return familiarName(repository);
}
