/**
 * The project brief's shortcut, as data: a two-hospital variant of the sample
 * task. Hospital B ("MERCY GENERAL") burns its name into the top-left corner
 * of every image and writes it in InstitutionName (with its own station and
 * scanner); hospital A ("NORTH VALLEY") does neither. The nodule is the
 * sample task's (850-950 HU over lung, radius 12-20 at 512): with a fainter
 * one (600-800 HU) the package's 10-epoch training did not learn it reliably
 * once the text was masked (site-flipped AUC 0.53 to 0.74 over runs), so
 * the shortcut's effect could not be told from an unlearnable lesion.
 * - `leaky`: B holds most of the positives (85% of B's images are positive,
 *   15% of A's): the name predicts the label.
 * - `control`: the same two hospitals, text and scanners, with 50% positives
 *   at both: the name predicts nothing.
 * Each variant has a training set (`train/manifest.csv`) and a site-flipped
 * test set (`flipped/manifest.csv`: B 15% positive, A 85%; new patients).
 * Sidecars the pipeline never reads: `lesions.json` (nodule centres, as the
 * sample task's) and `text.json` (each file's burned-in text box).
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Codec } from './encode.js';
import { ctSlice, randomLungLesion } from './phantom.js';
import { createRandom, deriveSeed } from './random.js';
import { burnText } from './text.js';
import { makeUid } from './uid.js';
import { defaultCacheDir, writeCtSlice } from './sample-task.js';

export type LeakyVariant = 'leaky' | 'control';

export const HOSPITALS = [
  { name: 'NORTH VALLEY', station: 'NV-CT01', manufacturer: 'ACME MEDICAL', model: 'SCANMASTER 64', text: null },
  { name: 'MERCY GENERAL', station: 'MG-CT02', manufacturer: 'ORION SYSTEMS', model: 'VISTA 128', text: 'MERCY GENERAL' },
] as const;

export interface LeakyTaskOptions {
  variant: LeakyVariant;
  cacheDir?: string;
  /** Patients per set (half at each hospital). Default 24 for training, half that for the flipped set. */
  patients?: number;
  slicesPerPatient?: number;
  seed?: number;
  onProgress?(done: number, total: number): void;
}

export interface LeakyTask {
  dir: string;
  train: string;
  flipped: string;
  lesions: string;
  text: string;
  files: number;
  generated: boolean;
}

const VERSION = 4;

/** Positive share per hospital [A, B] for a set. */
function prevalence(variant: LeakyVariant, set: 'train' | 'flipped'): [number, number] {
  if (variant === 'control') return [0.5, 0.5];
  return set === 'train' ? [0.15, 0.85] : [0.85, 0.15];
}

/**
 * Generates the variant once into the cache (then reuses it).
 *
 * @example const t = await ensureLeakyTask({ variant: 'leaky' }); // t.train, t.flipped: manifests
 */
export async function ensureLeakyTask(o: LeakyTaskOptions): Promise<LeakyTask> {
  const patients = o.patients ?? 24;
  const slices = o.slicesPerPatient ?? 10;
  const seed = o.seed ?? 2027;
  const dir = join(o.cacheDir ?? defaultCacheDir(), `${o.variant}-v${VERSION}-p${patients}-s${slices}-seed${seed}`);
  const task: LeakyTask = { dir, train: join(dir, 'train', 'manifest.csv'), flipped: join(dir, 'flipped', 'manifest.csv'), lesions: join(dir, 'lesions.json'), text: join(dir, 'text.json'), files: 0, generated: false };
  const sets = [
    { set: 'train' as const, patients },
    { set: 'flipped' as const, patients: Math.max(2, Math.round(patients / 2)) },
  ];
  const total = sets.reduce((n, s) => n + s.patients * slices, 0);
  task.files = total;
  if (existsSync(join(dir, 'complete.json'))) return task;
  const lesions: Record<string, { row: number; col: number; radius: number }[]> = {};
  const text: Record<string, [number, number, number, number][]> = {};
  let done = 0;
  for (const { set, patients: n } of sets) {
    mkdirSync(join(dir, set), { recursive: true });
    const rows = ['path,label'];
    const rates = prevalence(o.variant, set);
    for (let p = 0; p < n; p++) {
      const site = (p % 2) as 0 | 1;
      const h = HOSPITALS[site]!;
      const size = Math.floor(p / 2) % 2 === 0 ? 256 : 320;
      const codec: Codec = Math.floor(p / 2) % 4 < 2 ? 'j2k' : 'jpegls';
      const patientId = `${set === 'train' ? 'LT' : 'LF'}-${String(p + 1).padStart(3, '0')}`;
      const key = `${o.variant}/${seed}/${set}/${p}`;
      const study = makeUid(`${key}/study`);
      const series = makeUid(`${key}/series`);
      for (let i = 0; i < slices; i++) {
        const sliceSeed = deriveSeed(seed, `${key}/${i}`);
        const rng = createRandom(deriveSeed(sliceSeed, 'label'));
        const label = rng.next() < rates[site]! ? 1 : 0;
        const lesion = label ? randomLungLesion(createRandom(deriveSeed(sliceSeed, 'lesion')), size, { probability: 1, radius: [12, 20], contrastHU: [850, 950] }) : null;
        const pixels = ctSlice({ size, seed: sliceSeed, lesion });
        const file = `${patientId}_${String(i + 1).padStart(2, '0')}.dcm`;
        const rel = `${set}/${file}`;
        if (h.text) text[rel] = [burnText(pixels, size, size, h.text, { row: 6, col: 6, scale: 2, value: 1500 })];
        else text[rel] = [];
        // The painter puts pixel k's centre at k + 0.5; the sidecar at k (as the sample task's).
        lesions[rel] = lesion ? [{ row: lesion.y - 0.5, col: lesion.x - 0.5, radius: lesion.radius }] : [];
        await writeCtSlice(join(dir, rel), pixels, size, codec, {
          studyDate: `2026${String(1 + (Math.floor(p / 2) % 12)).padStart(2, '0')}15`,
          patientName: `Leaky^${set}^${p + 1}`,
          ids: { patientId, studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: makeUid(`${key}/${i}`) },
          extra: [
            { tag: 0x00080070, vr: 'LO', value: h.manufacturer },
            { tag: 0x00080080, vr: 'LO', value: h.name },
            { tag: 0x00081010, vr: 'SH', value: h.station },
            { tag: 0x00081090, vr: 'LO', value: h.model },
            // Both write NO: B's text is in the pixels anyway, which the audit must find.
            { tag: 0x00280301, vr: 'CS', value: 'NO' },
          ],
        });
        rows.push(`${file},${label}`);
        o.onProgress?.(++done, total);
      }
    }
    writeFileSync(join(dir, set, 'manifest.csv'), `${rows.join('\n')}\n`);
  }
  writeFileSync(task.lesions, `${JSON.stringify({ description: 'nodule centres and radii in frame pixels; not read by the pipeline', files: lesions }, null, 1)}\n`);
  writeFileSync(task.text, `${JSON.stringify({ description: 'burned-in text boxes [row0, col0, row1, col1] in frame pixels, end-exclusive; not read by the pipeline', files: text }, null, 1)}\n`);
  writeFileSync(`${join(dir, 'complete.json')}.tmp`, JSON.stringify({ version: VERSION, variant: o.variant, patients, slicesPerPatient: slices, seed }));
  renameSync(`${join(dir, 'complete.json')}.tmp`, join(dir, 'complete.json'));
  task.generated = true;
  return task;
}
