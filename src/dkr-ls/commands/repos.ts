import { Command } from 'clipanion';
import { Logger } from '../../log.js';
import { repositories } from '../images/filters.js';
import { listRows } from '../list.js';
import { jsonOption, logLevelOption, minAgeOption, minSizeOption, prefixOption } from './options.js';

export class ReposCommand extends Command {
  static override paths = [['repos']];

  static override usage = Command.Usage({
    category: 'Images',
    description: 'list repositories, each once',
    details: `
      Prints \`REPOSITORY\`, then each repository of \`dkr-ls tags\` once, in order of first appearance (newest image first), \`<none>\` included for untagged images.

      \`--prefix\`, \`--minAge\` and \`--minSize\` filter the images first, as in \`tags\`; \`--maxTags\` and \`--sum\` belong to \`tags\` only. \`--json\` prints \`{"repository"}\` per line.
    `,
    examples: [
      ['List every repository', '$0 repos'],
      ['Repositories with images older than 30 days', '$0 repos --minAge 30'],
    ],
  });

  prefix = prefixOption();
  minAge = minAgeOption();
  minSize = minSizeOption();
  json = jsonOption();
  logLevel = logLevelOption();

  async execute(): Promise<number> {
    const log = new Logger({ level: this.logLevel, stream: this.context.stderr });
    const rows = await listRows({ log, env: this.context.env, prefixes: this.prefix, minAge: this.minAge, minSize: this.minSize });
    const names = repositories(rows);
    let out = '';
    if (this.json) for (const repository of names) out += JSON.stringify({ repository }) + '\n';
    else out = ['REPOSITORY', ...names].join('\n') + '\n';
    this.context.stdout.write(out);
    return 0;
  }
}
