import { Command, Option } from 'clipanion';
import { Logger } from '../../log.js';
import { totalSize } from '../images/filters.js';
import { createdSince } from '../images/human-duration.js';
import { humanSize, humanSizeWithPrecision } from '../images/human-size.js';
import { formatTable } from '../../cli/table.js';
import { listRows } from '../list.js';
import { jsonOption, logLevelOption, maxTagsOption, minAgeOption, minSizeOption, prefixOption } from './options.js';

export const TAGS_HEADER = ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'];

export class TagsCommand extends Command {
  static override paths = [['tags']];

  static override usage = Command.Usage({
    category: 'Images',
    description: 'list image tags, one per line, as `docker images` prints them',
    details: `
      Prints \`REPOSITORY TAG IMAGE ID CREATED SIZE\` with the same rows, in the same order (newest first) and the same formatting as \`docker images\` on the engine \`DOCKER_HOST\` names. An image with several tags gives one row per tag; an untagged one gives \`<none> <none>\`.

      Filters apply in this order: \`--prefix\` (repository starts with it; repeatable), \`--minAge\` (created more than N×24 hours ago), \`--minSize\` (strictly larger; \`100MB\` is 100,000,000 bytes), then \`--maxTags\` (each repository's N newest tags). \`--sum\` (also \`--sum=true\`, \`--sum=false\`) adds a \`TOTAL\` row whose size counts each image once. \`--json\` prints one object per row with raw values: \`{"repository","tag","id","created","size","tags","digests"}\`, then \`{"total","images"}\` with \`--sum\`.
    `,
    examples: [
      ['List every tag', '$0 tags'],
      ['Only nginx and debian', '$0 tags --prefix nginx --prefix debian'],
      ['The newest tag of each, with the total size', '$0 tags --maxTags 1 --prefix nginx --prefix debian --sum=true'],
      ['Older than 20 days and larger than 100MB', '$0 tags --minAge 20 --minSize 100MB'],
      ['Raw values for scripts', '$0 tags --json'],
    ],
  });

  prefix = prefixOption();
  minAge = minAgeOption();
  minSize = minSizeOption();
  maxTags = maxTagsOption();
  sum = Option.Boolean('--sum', false, {
    description: 'Add a TOTAL row with the summed size of the listed images, each image once (default false)',
  });
  json = jsonOption();
  logLevel = logLevelOption();

  async execute(): Promise<number> {
    const log = new Logger({ level: this.logLevel, stream: this.context.stderr });
    const now = Date.now();
    const rows = await listRows({
      log,
      env: this.context.env,
      now: () => now,
      prefixes: this.prefix,
      minAge: this.minAge,
      minSize: this.minSize,
      maxTags: this.maxTags,
    });
    const total = this.sum ? totalSize(rows) : undefined;
    if (this.json) {
      let out = '';
      for (const row of rows) {
        out +=
          JSON.stringify({
            repository: row.repository,
            tag: row.tag,
            id: row.id,
            created: row.created,
            size: row.size,
            tags: row.repoTags,
            digests: row.repoDigests,
          }) + '\n';
      }
      if (total) out += JSON.stringify({ total: total.bytes, images: total.images }) + '\n';
      this.context.stdout.write(out);
      return 0;
    }
    const lines = [TAGS_HEADER];
    for (const row of rows) {
      lines.push([row.repository, row.tag, shortId(row.id), createdSince(row.created, now), humanSizeWithPrecision(row.size, 3)]);
    }
    if (total) lines.push(['', '', '', 'TOTAL', humanSize(total.bytes)]);
    this.context.stdout.write(formatTable(lines));
    return 0;
  }
}

/** The 12 hex characters docker shows, without `sha256:`. */
export function shortId(id: string): string {
  const colon = id.indexOf(':');
  return (colon === -1 ? id : id.slice(colon + 1)).slice(0, 12);
}
