import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import { audit } from '../../src/audit/audit.js';
import { loadConfig } from '../../src/config/load.js';
import { readManifest } from '../../src/sources/index.js';
import { ensureLeakyTask } from '../../src/synth/leaky-task.js';
import { encodeFrame, planEncoding } from '../../src/synth/encode.js';
import { writePart10File } from '../../src/synth/part10.js';
import { ctSlice } from '../../src/synth/phantom.js';
import { makeUid } from '../../src/synth/uid.js';
import { splitItems } from '../../src/train/split.js';
import { runCli } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'dicomflow-audit-'));
const leaky = await ensureLeakyTask({ variant: 'leaky', cacheDir: root, patients: 12, slicesPerPatient: 5 });
const control = await ensureLeakyTask({ variant: 'control', cacheDir: root, patients: 12, slicesPerPatient: 5 });
const config = (manifest: string) => loadConfig(null, { 'sources.manifest': manifest, 'decode.workers': 1 }).config;

const reports: Record<string, Awaited<ReturnType<typeof audit>>> = {};
t.before(async () => {
  reports.leaky = await audit(config(leaky.train), { out: join(root, 'out-leaky'), permutations: 300, reps: 200 });
  reports.control = await audit(config(control.train), { permutations: 300, reps: 200 });
});

t.test('leaky set: InstitutionName and the burned-in name FAIL; prevalence per site shows why', async (t) => {
  const r = reports.leaky!;
  t.equal(r.status, 'FAIL');
  t.ok(r.failed.includes('header: InstitutionName'), `FAIL list: ${r.failed.join('; ')}`);
  t.ok(r.failed.some((f) => f === 'text: mercy' || f === 'text: general'), 'a burned-in token FAILs');
  const inst = r.checks.find((c) => c.attribute === 'InstitutionName')!;
  t.equal(inst.cardinality, 2);
  t.equal(inst.missing, 0);
  t.ok(inst.ci95[0] <= inst.auc && inst.auc <= inst.ci95[1], 'the interval holds the AUC');
  t.ok(inst.p < 0.01, `permutation p ${inst.p}`);
  const mercy = r.sites.find((s) => s.site === 'MERCY GENERAL')!;
  const valley = r.sites.find((s) => s.site === 'NORTH VALLEY')!;
  t.ok(mercy.prevalence > 0.6 && valley.prevalence < 0.4, `prevalence ${mercy.prevalence.toFixed(2)} at MERCY GENERAL against ${valley.prevalence.toFixed(2)} at NORTH VALLEY`);
  t.equal(r.text.burnedInNoWithText.length, r.text.withText, 'every frame with text says BurnedInAnnotation NO: all listed');
  for (const k of ['audit.json', 'audit.md', 'text.jsonl', 'index.html']) t.ok(readFileSync(join(root, 'out-leaky', k), 'utf8').length > 0, `${k} written`);
  const lines = readFileSync(join(root, 'out-leaky', 'text.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(lines.length, r.n, 'text.jsonl: one line per frame');
  t.ok(lines.every((l) => typeof l.file === 'string' && l.frame === 0 && Array.isArray(l.boxes) && Array.isArray(l.tokens)));
  t.match(readFileSync(join(root, 'out-leaky', 'index.html'), 'utf8'), /<img src="examples\/0\.png"/, 'flagged examples shown');
});

t.test('control set (same hospitals, same text, label independent of site): nothing FAILs', async (t) => {
  const r = reports.control!;
  t.same(r.failed, [], `no FAIL (status ${r.status}; highest AUC ${Math.max(...r.checks.map((c) => (Number.isFinite(c.auc) ? c.auc : 0))).toFixed(3)})`);
  t.ok(r.text.withText > 0, 'the text is there, and found');
});

t.test('OCR finds the burned-in text in >= 95% of the frames that carry it and in <= 2% of those that do not', async (t) => {
  const truth = JSON.parse(readFileSync(leaky.text, 'utf8')).files as Record<string, unknown[]>;
  const lines = readFileSync(join(root, 'out-leaky', 'text.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const carry = lines.filter((l) => truth[`train/${basename(l.file)}`]!.length > 0);
  const clean = lines.filter((l) => truth[`train/${basename(l.file)}`]!.length === 0);
  const found = carry.filter((l) => l.tokens.length > 0).length;
  const false_ = clean.filter((l) => l.tokens.length > 0).length;
  t.ok(carry.length > 10 && clean.length > 10);
  t.ok(found / carry.length >= 0.95, `found in ${found} of ${carry.length}`);
  t.ok(false_ / clean.length <= 0.02, `found in ${false_} of ${clean.length} without text`);
});

t.test('values from files are escaped in the report (attributes holding markup)', async (t) => {
  const dir = join(root, 'markup');
  mkdirSync(dir);
  const rows = ['path,label'];
  const items = (await readManifest(leaky.train)).items.slice(0, 6);
  items.forEach((it, i) => {
    copyFileSync(it.id, join(dir, `${i}.dcm`));
    rows.push(`${i}.dcm,${it.label}`);
  });
  for (let i = 0; i < 4; i++) {
    const pixels = ctSlice({ size: 64, seed: 90 + i, lesion: null });
    const layout = { width: 64, height: 64, bitsStored: 16, signed: true, samples: 1 as const };
    await writePart10File(
      join(dir, `m${i}.dcm`),
      {
        transferSyntax: planEncoding(layout, 'j2k', { lossless: true }).transferSyntax,
        rows: 64, columns: 64, samplesPerPixel: 1, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, photometric: 'MONOCHROME2', modality: 'CT',
        ids: { patientId: `M${i}`, studyInstanceUid: makeUid(`m/${i}/a`), seriesInstanceUid: makeUid(`m/${i}/b`), sopInstanceUid: makeUid(`m/${i}/c`) },
        extra: [
          { tag: 0x00080080, vr: 'LO', value: '<img src=x onerror=alert(1)>' },
          { tag: 0x00081010, vr: 'SH', value: '<b>&ST' },
        ],
      },
      [await encodeFrame(pixels, layout, 'j2k', { lossless: true })],
    );
    rows.push(`m${i}.dcm,${i % 2}`);
  }
  writeFileSync(join(dir, 'manifest.csv'), `${rows.join('\n')}\n`);
  const out = join(root, 'out-markup');
  const r = await audit(config(join(dir, 'manifest.csv')), { out, ocr: false, permutations: 50, reps: 50 });
  t.ok(r.sites.some((s) => s.site === '<img src=x onerror=alert(1)>'), 'the site is read as written');
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  t.notMatch(html, /<img src=x|<b>&ST/, 'no markup from a file reaches the HTML');
  t.match(html, /&#60;img src=x onerror=alert\(1\)&#62;/);
});

t.test('the CLI: exit 1 when something FAILs, 0 when nothing does, 2 for usage; --json is the report', async (t) => {
  const bad = runCli(['audit', '--manifest', leaky.train, '--json', '--no-ocr']);
  t.equal(bad.status, 1, bad.stderr);
  const r = JSON.parse(bad.stdout);
  t.ok(Array.isArray(r.checks) && r.checks.every((c: Record<string, unknown>) => ['header', 'pixel', 'text'].includes(c.check as string) && 'auc' in c && 'ci95' in c && 'cramersV' in c && 'p' in c && 'status' in c));
  t.ok(Array.isArray(r.sites));
  const ok = runCli(['audit', '--manifest', control.train, '--no-ocr']);
  t.equal(ok.status, 0, ok.stdout + ok.stderr);
  t.match(ok.stdout, /^audit: (PASS|WARN)/);
  for (const args of [['--warn', '2'], ['--fail', '0.55', '--warn', '0.7'], ['--no-ocr', '--ocr-workers', '2'], ['--bogus']]) {
    const u = runCli(['audit', '--manifest', control.train, ...args]);
    t.equal(u.status, 2, `${args.join(' ')}: ${u.stderr.trim()}`);
  }
});

t.test('train.splitBy institution: validation on held-out sites', async (t) => {
  const items = (await readManifest(leaky.train)).items;
  const s = await splitItems(items, { by: 'institution', fraction: 0.5, seed: 1, parse: config(leaky.train).parse });
  t.match(s.method, /by InstitutionName \(held-out sites\): 1 of 2 groups held out/);
  const text = JSON.parse(readFileSync(leaky.text, 'utf8')).files as Record<string, unknown[]>;
  const site = (id: string) => (text[`train/${basename(id)}`]!.length > 0 ? 'B' : 'A');
  t.equal(new Set(s.val.map((i) => site(i.id))).size, 1, 'validation is one whole site');
  t.notOk(s.train.some((i) => site(i.id) === site(s.val[0]!.id)), 'that site is not in training');
  await t.rejects(splitItems(items, { by: 'hospital', fraction: 0.5, seed: 1, parse: config(leaky.train).parse }), { code: 'DF_ERR_CONFIG' });
  const viaTag = await splitItems(items, { by: '0008,1010', fraction: 0.5, seed: 1, parse: config(leaky.train).parse });
  t.ok(viaTag.val.length > 0 && viaTag.train.length > 0, 'a tag (StationName) works as the group too');
  t.equal(new Set(viaTag.val.map((i) => site(i.id))).size, 1, 'one whole station held out');
});

t.test('audit --checkpoint: the model\'s AUC overall and per site', async (t) => {
  const { train } = await import('../../src/train/trainer.js');
  const dir = join(root, 'ck');
  await train({ config: loadConfig(null, { 'sources.manifest': leaky.train, 'preprocess.target': '32x32', 'decode.workers': 1, 'train.epochs': 1, 'train.backend': 'wasm', 'train.checkpointDir': dir }).config });
  const out = join(root, 'out-ck');
  const r = await audit(config(leaky.train), { checkpoint: dir, out, permutations: 50, reps: 50 });
  t.equal(r.model!.frames, r.n, 'every frame scored');
  t.ok(r.model!.auc >= 0 && r.model!.auc <= 1, `AUC ${r.model!.auc.toFixed(3)}`);
  t.equal(r.sites.length, 2);
  for (const s of r.sites) t.ok(typeof s.auc === 'number', `${s.site}: model AUC ${s.auc}`);
  t.match(readFileSync(join(out, 'index.html'), 'utf8'), /<img src="saliency\/[^"]+\.gradcam\.png"/, 'flagged examples come with the model\'s saliency maps');
});
