import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EngineClient } from '../../src/engine/client.js';
import { prefetchImages, takePrefetched } from '../../src/dkr-ls/prefetch.js';

t.test('the prefetched answer serves the same request once, and only the same request', async (t) => {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.setHeader('content-type', 'application/json');
    res.end('[]');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const env = { DOCKER_HOST: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}` };

  prefetchImages(env);
  const taken = takePrefetched(new EngineClient({ env }));
  t.ok(taken, 'a client of the same engine takes it');
  t.same(await taken, [], 'with the engine answer');
  t.equal(takePrefetched(new EngineClient({ env })), undefined, 'but only once');
  t.equal(requests, 1, 'one request reached the engine');

  prefetchImages(env);
  t.equal(takePrefetched(new EngineClient({ env: { DOCKER_HOST: 'tcp://127.0.0.1:1' } })), undefined, 'another engine does not get it');
});

t.test('a DOCKER_HOST that does not parse prefetches nothing and throws nothing', async (t) => {
  t.doesNotThrow(() => prefetchImages({ DOCKER_HOST: 'ftp://nowhere' }));
  t.equal(takePrefetched(new EngineClient({ env: {} })), undefined);
});
