import t from 'tap';
import { memberImageProblem } from '../../../src/fleet/docker/member-image.js';

const API = { 'io.fleet.member-api': '2' };
const NO_READER = 'has no list reader (label io.fleet.member-api=2)';

t.test('only an image built for unprivileged members with a list reader is run as one', async (t) => {
  const cases: [string, Parameters<typeof memberImageProblem>[0], string | undefined][] = [
    ['the current member image', { User: '10101:10101', ExposedPorts: { '8080/tcp': {} }, Labels: API }, undefined],
    ['one that also exposes another port', { User: '10101:10101', ExposedPorts: { '8080/tcp': {}, '9000/tcp': {} }, Labels: API }, undefined],
    [
      'one built before members ran unprivileged',
      { User: '', ExposedPorts: { '80/tcp': {} } },
      `is not a current fleet member image (it runs as root, not 10101:10101 and does not expose 8080/tcp and ${NO_READER})`,
    ],
    ['one with no config at all', {}, `is not a current fleet member image (it runs as root, not 10101:10101 and does not expose 8080/tcp and ${NO_READER})`],
    ['one that runs as another user', { User: 'nginx', ExposedPorts: { '8080/tcp': {} }, Labels: API }, 'is not a current fleet member image (it runs as "nginx", not 10101:10101)'],
    ['one with no exposed port', { User: '10101:10101', ExposedPorts: null, Labels: API }, 'is not a current fleet member image (it does not expose 8080/tcp)'],
    ['one built before the list reader', { User: '10101:10101', ExposedPorts: { '8080/tcp': {} }, Labels: null }, `is not a current fleet member image (it ${NO_READER})`],
  ];
  for (const [what, config, want] of cases) t.equal(memberImageProblem(config), want, `${what}: ${want ?? 'fine'}`);
});
