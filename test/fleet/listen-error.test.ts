// The listen-error mapping, table-driven: a port in use, a port the user may not bind, anything else.
import t from 'tap';
import { listenError } from '../../src/fleet/listen-error.js';

t.test('each listen failure is named for what it is', async (t) => {
  const front = { label: '' as const, host: '0.0.0.0', port: 8080 };
  const admin = { label: 'admin ' as const, host: '127.0.0.1', port: 9090, hint: 'choose another with --admin-port, or --no-admin' };
  const cases = [
    { what: 'front door, port in use', code: 'EADDRINUSE', target: front, error: { code: 'FLEET_PORT_IN_USE', message: 'port 8080 is already in use on 0.0.0.0' } },
    { what: 'front door, a port needing privileges', code: 'EACCES', target: front, error: { code: 'FLEET_PORT_DENIED', message: 'no permission to listen on port 8080' } },
    { what: 'front door, an address not here', code: 'EADDRNOTAVAIL', target: front, error: { code: 'FLEET_BAD_INPUT', message: 'cannot listen on 0.0.0.0:8080: listen EADDRNOTAVAIL' } },
    { what: 'front door, no code at all', code: undefined, target: front, error: { code: 'FLEET_BAD_INPUT', message: 'cannot listen on 0.0.0.0:8080: listen EADDRNOTAVAIL' } },
    { what: 'admin, port in use, with the hint', code: 'EADDRINUSE', target: admin, error: { code: 'FLEET_PORT_IN_USE', message: 'admin port 9090 is already in use on 127.0.0.1 (choose another with --admin-port, or --no-admin)' } },
    { what: 'admin, permission denied', code: 'EACCES', target: admin, error: { code: 'FLEET_PORT_DENIED', message: 'no permission to listen on admin port 9090' } },
    { what: 'admin, anything else', code: 'EINVAL', target: admin, error: { code: 'FLEET_BAD_INPUT', message: 'cannot listen on admin 127.0.0.1:9090: listen EADDRNOTAVAIL' } },
  ];
  for (const c of cases) t.match(listenError(c.code, 'listen EADDRNOTAVAIL', c.target), c.error, c.what);
});
