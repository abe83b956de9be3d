// What a re-list of the node's containers changes, deaths reported by events included.
import t from 'tap';
import { diffMembers } from '../../../src/fleet/agent/local-members.js';

t.test('a list starts new running members and ends those gone; a later death is not undone', async (t) => {
  const known = new Map([
    ['a', '10.0.0.2'],
    ['b', '10.0.0.3'],
  ]);
  const cases: [string, { id: string; ip: string | undefined }[], string[], { started: string[]; died: string[] }][] = [
    ['nothing changed', [{ id: 'a', ip: '10.0.0.2' }, { id: 'b', ip: '10.0.0.3' }], [], { started: [], died: [] }],
    ['a new member', [{ id: 'a', ip: '10.0.0.2' }, { id: 'b', ip: '10.0.0.3' }, { id: 'c', ip: '10.0.0.4' }], [], { started: ['c'], died: [] }],
    ['a member without an address yet is not started', [{ id: 'a', ip: '10.0.0.2' }, { id: 'b', ip: '10.0.0.3' }, { id: 'c', ip: undefined }], [], { started: [], died: [] }],
    ['a member gone', [{ id: 'a', ip: '10.0.0.2' }], [], { started: [], died: ['b'] }],
    ['every member gone', [], [], { started: [], died: ['a', 'b'] }],
    ['a member that died after the list was asked for', [{ id: 'a', ip: '10.0.0.2' }, { id: 'c', ip: '10.0.0.4' }], ['c'], { started: [], died: ['b'] }],
  ];
  for (const [what, observed, diedSince, want] of cases) {
    const diff = diffMembers(known, observed, new Set(diedSince));
    t.same({ started: diff.started.map((m) => m.id), died: diff.died.map((m) => m.id) }, want, what);
  }
});
