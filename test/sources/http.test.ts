import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { createPipeline } from '../../src/pipeline/index.js';
import { fetchBytes, httpItem, type HttpOptions, type HttpStats } from '../../src/sources/http.js';
import { fileItem } from '../../src/sources/item.js';
import { FIXTURES, fixtureBytes, fixtureNames } from '../helpers/fixtures.js';
import { startFaultServer } from '../helpers/fault-server.js';

const fast: HttpOptions = { connections: 4, timeoutMs: 5000, retries: 6, backoffMs: 1 };
const names = fixtureNames().slice(0, 14);
const files = new Map(names.map((n) => [`/${n}.dcm`, fixtureBytes(n)]));

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

t.test('a body cut off mid-way is resumed with Range; a 503 is retried; the bytes are exact', async (t) => {
  const server = await startFaultServer(files, { fail503: (n) => n === 1, cut: (n) => n === 2 || n === 3 });
  t.teardown(() => server.close());
  const stats: HttpStats = { requests: 0, retries: 0, rangeResumes: 0 };
  const name = `/${names[0]}.dcm`;
  const got = await collect(fetchBytes(server.url(name), fast, stats));
  t.ok(got.equals(Buffer.from(files.get(name)!)), 'identical to the file');
  t.equal(stats.retries, 3, '503, then a cut body, then a cut resumed body');
  t.equal(stats.requests, 4);
  t.ok(stats.rangeResumes >= 1 && server.rangeRequests >= 1, 'resumed with Range requests');
});

t.test('faults everywhere: every file delivered exactly once with the same samples as from disk, or reported', async (t) => {
  // Every file: attempt 1 gets 503, attempt 2 is cut mid-body, attempt 3 (a Range request) works.
  // Two URLs never work.
  const server = await startFaultServer(files, {
    fail503: (n) => n === 1,
    cut: (n) => n === 2,
    alwaysFail: new Set([`/${names[1]}.dcm`]),
    alwaysShort: new Set([`/${names[2]}.dcm`]),
  });
  t.teardown(() => server.close());
  const { config } = loadConfig(null, { 'preprocess.target': '32x32', 'preprocess.voi': 'minmax', 'decode.workers': 2, 'pipeline.fileConcurrency': 4 });
  const urls = names.map((n) => server.url(`/${n}.dcm`));
  const remote = createPipeline(config, { items: urls.map((u) => httpItem(u, { ...fast, retries: 4 })) });
  const local = createPipeline(config, { items: names.map((n) => fileItem(`${FIXTURES}${n}.dcm`, undefined)) });
  t.teardown(() => Promise.all([remote.close(), local.close()]));
  const byFile = async (p: typeof remote) => {
    const m = new Map<string, number[][]>();
    for await (const s of p.samples()) {
      const key = s.id.file.split('/').pop()!;
      if (!m.has(key)) m.set(key, []);
      m.get(key)!.push(Array.from(s.data.subarray(0, 64)));
    }
    return m;
  };
  const got = await byFile(remote);
  const want = await byFile(local);
  const failed = new Set(remote.errors.map((e) => e.file.split('/').pop()!));
  t.same([...failed].sort(), [`${names[1]}.dcm`, `${names[2]}.dcm`].sort(), 'the two broken URLs are reported');
  t.ok(remote.errors.every((e) => e.code === 'DF_ERR_SOURCE' && /gave up after 5 attempts/.test(e.message)), 'as source errors after the retries');
  for (const n of names) {
    const file = `${n}.dcm`;
    if (failed.has(file)) {
      t.notOk(got.has(file), `${file}: nothing delivered from a file that was never read whole`);
      continue;
    }
    t.same(got.get(file), want.get(file), `${file}: delivered once, same samples as from disk`);
  }
  t.equal(got.size + failed.size, names.length, 'none silently dropped');
  t.equal(server.requests, (names.length - 2) * 3 + 2 * 5, 'three attempts per good file, five per broken one');
  t.ok(server.rangeRequests >= names.length - 2, 'every good file was resumed with Range');
});

t.test('404 fails at once, without retries', async (t) => {
  const server = await startFaultServer(files, {});
  t.teardown(() => server.close());
  const stats: HttpStats = { requests: 0, retries: 0, rangeResumes: 0 };
  await t.rejects(collect(fetchBytes(server.url('/missing'), fast, stats)), { code: 'DF_ERR_SOURCE', message: /HTTP 404/ });
  t.equal(stats.requests, 1);
});

t.test('URLs in the config and in a manifest; the auth header comes from the environment', async (t) => {
  const seen: string[] = [];
  const server = await startFaultServer(files, {});
  t.teardown(() => server.close());
  process.env.DICOMFLOW_TEST_TOKEN = 'Bearer s3cret';
  const { config } = loadConfig(null, { 'sources.urls': [server.url(`/${names[0]}.dcm`)], 'sources.http.authEnv': 'DICOMFLOW_TEST_TOKEN', 'preprocess.target': '16x16' });
  const { resolveSources, httpOptions } = await import('../../src/sources/index.js');
  t.same(httpOptions(config.sources).headers, { authorization: 'Bearer s3cret' });
  const listing = await resolveSources(config.sources);
  t.same(listing.items.map((i) => i.id), [server.url(`/${names[0]}.dcm`)]);
  seen.push(...listing.items.map((i) => i.id));
  t.throws(() => loadConfig(null, { 'sources.urls': ['ftp://x/y.dcm'] }), /sources\.urls must be an array of http:\/\/ or https:\/\/ URLs/);
  delete process.env.DICOMFLOW_TEST_TOKEN;
  t.throws(() => httpOptions(config.sources), /sources\.http\.authEnv names DICOMFLOW_TEST_TOKEN, which is not set/);
});
