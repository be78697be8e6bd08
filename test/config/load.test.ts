import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig, validate } from '../../src/config/load.js';
import { defaults } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'dicomflow-config-'));
function file(content: unknown): string {
  const p = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return '(no error)';
}

t.test('the committed pipeline.config.json is valid: the sample task, defaults elsewhere', async (t) => {
  const { config } = loadConfig(new URL('../../pipeline.config.json', import.meta.url).pathname);
  t.same(config.parse, defaults().parse);
  t.same(config.decode, defaults().decode);
  t.match(config.sources, { paths: [], manifest: null, sample: true });
  t.match(config.train, { backend: 'auto', model: 'small-cnn', epochs: 10 });
});

t.test('messages name the field, the bad value and what was expected', async (t) => {
  t.equal(messageOf(() => loadConfig(file({ parse: { chunkBytes: -1 } }))), 'parse.chunkBytes must be a positive integer up to 268435456 (got -1)');
  t.equal(messageOf(() => loadConfig(file({ parse: { maxFrameBytes: 'big' } }))), 'parse.maxFrameBytes must be a positive integer (got "big")');
  t.equal(messageOf(() => loadConfig(file({ parse: { maxFrameBytes: 1.5 } }))), 'parse.maxFrameBytes must be a positive integer (got 1.5)');
  t.equal(messageOf(() => loadConfig(file({ sources: { paths: 'scans/' } }))), 'sources.paths must be an array of paths or globs (got "scans/")');
  t.equal(messageOf(() => loadConfig(file({ sources: { manifest: 3 } }))), 'sources.manifest must be a path to a CSV file or null (got 3)');
});

t.test('unknown keys are errors, with a suggestion for a typo', async (t) => {
  t.equal(messageOf(() => loadConfig(file({ parse: { chunkbytes: 5 } }))), 'parse.chunkbytes is not a known option (did you mean parse.chunkBytes?)');
  t.equal(messageOf(() => loadConfig(file({ sorces: {} }))), 'sorces is not a known option');
  t.equal(messageOf(() => loadConfig(null, { 'parse.maxFrameByte': 5 })), 'parse.maxFrameByte is not a known option (did you mean parse.maxFrameBytes?)');
});

t.test('every problem is reported at once', async (t) => {
  const msg = messageOf(() => loadConfig(file({ parse: { chunkBytes: 0, maxElementBytes: -5 }, extra: 1 })));
  t.match(msg, /parse\.chunkBytes must be a positive integer/);
  t.match(msg, /parse\.maxElementBytes must be a positive integer .*\(got -5\)/);
  t.match(msg, /extra is not a known option/);
});

t.test('file problems: missing, not JSON, not an object', async (t) => {
  t.match(messageOf(() => loadConfig(join(dir, 'missing.json'))), /^cannot read config file .*missing\.json: ENOENT/);
  t.match(messageOf(() => loadConfig(file('{ "parse": '))), /is not valid JSON/);
  t.match(messageOf(() => loadConfig(file('[1,2]'))), /must hold a JSON object \(got \[1,2\]\)/);
  t.match(messageOf(() => validate(5, 'x')), /x must hold a JSON object \(got 5\)/);
});

t.test('overrides win over the file, the file over the defaults', async (t) => {
  const p = file({ parse: { chunkBytes: 4096, maxFrameBytes: 1000 } });
  const { config } = loadConfig(p, { 'parse.chunkBytes': 8192 });
  t.equal(config.parse.chunkBytes, 8192, 'override');
  t.equal(config.parse.maxFrameBytes, 1000, 'file');
  t.equal(config.parse.maxElementBytes, defaults().parse.maxElementBytes, 'default');
  t.equal(messageOf(() => loadConfig(p, { 'parse.chunkBytes': -1 })), 'parse.chunkBytes must be a positive integer up to 268435456 (got -1)');
});

t.test('relative paths resolve against the config file folder', async (t) => {
  const { config } = loadConfig(file({ sources: { paths: ['scans', 'more/*.dcm'], manifest: 'm.csv' } }));
  t.same(config.sources.paths, [join(dir, 'scans'), join(dir, 'more/*.dcm')]);
  t.equal(config.sources.manifest, join(dir, 'm.csv'));
});
