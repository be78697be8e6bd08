import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { listFiles } from '../../src/sources/files.js';
import { parseCsv, readManifest } from '../../src/sources/manifest.js';
import { resolveSources } from '../../src/sources/index.js';
import { defaults } from '../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'dicomflow-src-'));
mkdirSync(join(dir, 'a/b'), { recursive: true });
for (const f of ['a/1.dcm', 'a/b/2.dcm', 'a/b/3', 'a/.hidden', 'top.dcm']) writeFileSync(join(dir, f), `bytes of ${f}`);

t.test('directories are read recursively in sorted order, hidden files skipped', async (t) => {
  const { items, problems } = await listFiles([join(dir, 'a')]);
  t.same(items.map((i) => i.id.slice(dir.length + 1)), ['a/1.dcm', 'a/b/2.dcm', 'a/b/3']);
  t.same(problems, []);
  t.equal(items[0]!.size, 'bytes of a/1.dcm'.length);
});

t.test('globs, single files, duplicates and unreadable paths', async (t) => {
  const { items, problems } = await listFiles([join(dir, '**/*.dcm'), join(dir, 'top.dcm'), join(dir, 'nope.dcm'), join(dir, 'none/*.dcm')]);
  t.same(items.map((i) => i.id.slice(dir.length + 1)), ['a/1.dcm', 'a/b/2.dcm', 'top.dcm'], 'each file once');
  t.same(problems.map((p) => p.code), ['DF_ERR_SOURCE', 'DF_ERR_SOURCE']);
  t.match(problems[0]!.message, /nope\.dcm: ENOENT/);
  t.match(problems[1]!.message, /matches no file/);
});

t.test('opening an item streams its bytes in chunks of the asked size', async (t) => {
  const { items } = await listFiles([join(dir, 'top.dcm')]);
  const chunks: number[] = [];
  for await (const c of items[0]!.open({ chunkBytes: 4 })) chunks.push(c.length);
  t.same(chunks, [4, 4, 4, 4], "'bytes of top.dcm' is 16 bytes");
});

t.test('a file read to the size it was listed with: no read past the end, nothing of what was appended after listing', async (t) => {
  const p = join(dir, 'growing.dcm');
  writeFileSync(p, 'sixteen bytes ok');
  const { items } = await listFiles([p]);
  appendFileSync(p, ' and more written later');
  const chunks: string[] = [];
  for await (const c of items[0]!.open({ chunkBytes: 6 })) chunks.push(Buffer.from(c).toString());
  t.same(chunks, ['sixtee', 'n byte', 's ok'], 'the 16 listed bytes, in chunks of 6, and no more');
  rmSync(p);
});

t.test('a file that vanishes between listing and reading fails with DF_ERR_SOURCE and its path', async (t) => {
  const p = join(dir, 'vanishing.dcm');
  writeFileSync(p, 'x');
  const { items } = await listFiles([p]);
  rmSync(p);
  await t.rejects(async () => {
    for await (const _ of items[0]!.open()) void _;
  }, { code: 'DF_ERR_SOURCE', where: { file: p }, message: /ENOENT/ });
  const { scanItem } = await import('../../src/dicom/scan.js');
  const r = await scanItem(items[0]!, { chunkBytes: 1024, maxFrameBytes: 1e9, maxElementBytes: 1e9 });
  t.equal(r.error?.code, 'DF_ERR_SOURCE', 'the scan reports it as a source error');
});

t.test('CSV parsing: quotes, escaped quotes, CRLF, BOM, blank lines', async (t) => {
  t.same(parseCsv('\ufeffpath,label\r\n"a,b.dcm",1\n\n"say ""hi""",0\nlast,2'), [
    { line: 1, fields: ['path', 'label'] },
    { line: 2, fields: ['a,b.dcm', '1'] },
    { line: 4, fields: ['say "hi"', '0'] },
    { line: 5, fields: ['last', '2'] },
  ]);
});

t.test('manifest: labels and splits, paths relative to it, bad rows reported and the rest kept', async (t) => {
  const m = join(dir, 'manifest.csv');
  writeFileSync(m, ['path,label,split', 'a/1.dcm,1,train', 'a/b/2.dcm,0', 'missing.dcm,1', 'onlypath', 'top.dcm,1,val,extra', `${join(dir, 'top.dcm')},0,val`].join('\n'));
  const { items, problems } = await readManifest(m);
  t.same(
    items.map((i) => [i.id.slice(dir.length + 1), i.label, i.split]),
    [
      ['a/1.dcm', '1', 'train'],
      ['a/b/2.dcm', '0', undefined],
      ['top.dcm', '0', 'val'],
    ],
  );
  t.same(problems.map((p) => [p.code, p.where.file?.slice(dir.length + 1)]), [
    ['DF_ERR_SOURCE', 'manifest.csv:4'],
    ['DF_ERR_MANIFEST', 'manifest.csv:5'],
    ['DF_ERR_MANIFEST', 'manifest.csv:6'],
  ]);
  const missing = await readManifest(join(dir, 'no-manifest.csv'));
  t.equal(missing.problems[0]?.code, 'DF_ERR_SOURCE');
});

t.test('resolveSources combines the manifest and the paths', async (t) => {
  const m = join(dir, 'm2.csv');
  writeFileSync(m, 'a/1.dcm,1\n');
  const { items, problems } = await resolveSources({ ...defaults().sources, manifest: m, paths: [join(dir, 'top.dcm')] });
  t.same(items.map((i) => i.label), ['1', undefined]);
  t.same(problems, []);
});
