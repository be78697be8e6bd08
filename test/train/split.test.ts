import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { defaults } from '../../src/config/schema.js';
import { readManifest } from '../../src/sources/manifest.js';
import { ensureSampleTask } from '../../src/synth/sample-task.js';
import { splitItems } from '../../src/train/split.js';
import { readDicom } from '../../src/dicom/reader.js';

const parse = defaults().parse;
/** An item's bytes where the test never reads them. */
async function* noBytes(): AsyncGenerator<Uint8Array> {}

t.test('no patient is on both sides; the split is seeded and independent of file order', async (t) => {
  const sample = await ensureSampleTask({ cacheDir: mkdtempSync(join(tmpdir(), 'dicomflow-split-')), patients: 10, slicesPerPatient: 3 });
  const { items } = await readManifest(sample.manifest);
  const s = await splitItems(items, { by: 'patient', fraction: 0.3, seed: 5, parse });
  t.equal(s.train.length + s.val.length, 30);
  t.equal(s.valGroups.length, 3, '30% of 10 patients');
  const patientOf = async (id: string) => (await readDicom([new Uint8Array((await import('node:fs')).readFileSync(id))]).header()).ids.patientId!;
  const trainPatients = new Set(await Promise.all(s.train.map((i) => patientOf(i.id))));
  const valPatients = new Set(await Promise.all(s.val.map((i) => patientOf(i.id))));
  t.same([...valPatients].filter((p) => trainPatients.has(p)), [], 'disjoint');
  t.same([...valPatients].sort(), s.valGroups);
  const again = await splitItems([...items].reverse(), { by: 'patient', fraction: 0.3, seed: 5, parse });
  t.same(again.valGroups, s.valGroups, 'same groups whatever the order');
  const other = await splitItems(items, { by: 'patient', fraction: 0.3, seed: 6, parse });
  t.notSame(other.valGroups, s.valGroups, 'another seed, another split');
  const byStudy = await splitItems(items, { by: 'study', fraction: 0.3, seed: 5, parse });
  t.equal(byStudy.valGroups.length, 3, 'one study per patient here');
});

t.test('a manifest split column wins', async (t) => {
  const items = [
    { id: 'a', label: '1', split: 'train', open: noBytes },
    { id: 'b', label: '0', split: 'val', open: noBytes },
    { id: 'c', label: '0', split: 'test', open: noBytes },
  ];
  const s = await splitItems(items, { by: 'patient', fraction: 0.5, seed: 1, parse });
  t.same(s.train.map((i) => i.id), ['a']);
  t.same(s.val.map((i) => i.id), ['b']);
});
