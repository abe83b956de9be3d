import { Command, Option } from 'clipanion';
import { loadImages } from '../load-images.js';

export class ImagesCommand extends Command {
  static override paths = [['images']];

  static override usage = Command.Usage({
    category: 'Images',
    description: "dkr-ls's commands: list the engine's images as `docker images` prints them",
    details: `
      Runs \`dkr-ls\` with the words after \`images\`: the same code, output, errors and exit codes. \`fleet images tags\` lists image tags, \`fleet images repos\` repositories; \`fleet images <command> -h\` prints a command's flags.
    `,
    examples: [
      ['List every tag', '$0 images tags'],
      ['The newest tag of each fleet-nginx image', '$0 images tags --prefix fleet-nginx --maxTags 1'],
      ['List repositories', '$0 images repos'],
    ],
  });

  args = Option.Proxy();

  async execute(): Promise<number> {
    // dkr-ls (its CLI, filters and engine client) loads only for `images`.
    const { runImages } = await loadImages();
    return runImages(this.args, this.context, 'fleet images');
  }
}
