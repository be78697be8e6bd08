/**
 * The built-in sample task that `npm start` trains on: chest CT phantoms,
 * half of them with a small lung nodule (label 1), from several synthetic
 * patients, in two image sizes, encoded with JPEG 2000 and JPEG-LS by the
 * project's own encoders. Generated once into a cache folder, then reused.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame, planEncoding, type Codec } from './encode.js';
import { writePart10File, type Part10Spec } from './part10.js';
import { ctSlice, randomLungLesion } from './phantom.js';
import { createRandom, deriveSeed } from './random.js';
import { makeUid } from './uid.js';

export interface SampleTaskOptions {
  /** Default: $DICOMFLOW_CACHE, else $XDG_CACHE_HOME/dicomflow, else ~/.cache/dicomflow. */
  cacheDir?: string;
  patients?: number;
  slicesPerPatient?: number;
  seed?: number;
  onProgress?(done: number, total: number): void;
}

export interface SampleTask {
  manifest: string;
  dir: string;
  files: number;
  generated: boolean;
  seconds: number;
  /**
   * The sidecar recording each nodule's centre and radius in the frame's
   * pixels (`{"files": {"<file>": [{"row", "col", "radius"}]}}`, files with
   * no nodule have []). Ground truth for `explain --check`; the pipeline never reads it.
   */
  lesions: string;
}

/** What the generator puts in a slice: its size, codec and label, and its nodule (null when label 0). */
function slicePlan(seed: number, p: number, i: number) {
  const size = p % 2 === 0 ? 256 : 320;
  const sliceSeed = deriveSeed(seed, `${p}/${i}`);
  // Alternate labels within each patient, so every patient (and so both sides of a patient split) is balanced.
  const label = (i + p) % 2;
  const lesion = label ? randomLungLesion(createRandom(deriveSeed(sliceSeed, 'lesion')), size, { probability: 1, radius: [12, 20], contrastHU: [850, 950] }) : null;
  return { size, sliceSeed, label, lesion, file: `SAMPLE-${String(p + 1).padStart(3, '0')}_${String(i + 1).padStart(2, '0')}.dcm` };
}

/** Writes the nodule sidecar (from the same seeds as the files: it needs no decoding). */
function writeLesions(path: string, seed: number, patients: number, slices: number): void {
  const files: Record<string, { row: number; col: number; radius: number }[]> = {};
  for (let p = 0; p < patients; p++) {
    for (let i = 0; i < slices; i++) {
      const s = slicePlan(seed, p, i);
      // The painter's coordinates put pixel k's centre at k + 0.5; the sidecar's at k.
      files[s.file] = s.lesion ? [{ row: s.lesion.y - 0.5, col: s.lesion.x - 0.5, radius: s.lesion.radius }] : [];
    }
  }
  writeFileSync(`${path}.tmp`, `${JSON.stringify({ description: 'nodule centres and radii in frame pixels (row, col: pixel indices, the top-left pixel centre is 0, 0); not read by the pipeline', files }, null, 1)}\n`);
  renameSync(`${path}.tmp`, path);
}

/**
 * One square CT slice (HU, signed 16-bit, lung window) compressed losslessly
 * with `codec` and written as Part-10; `more` adds or sets attributes. Shared
 * by the sample task and its two-hospital variant.
 */
export async function writeCtSlice(path: string, pixels: Int16Array, size: number, codec: Codec, more: Pick<Part10Spec, 'ids'> & Partial<Part10Spec>): Promise<void> {
  const layout = { width: size, height: size, bitsStored: 16, signed: true, samples: 1 as const };
  const plan = planEncoding(layout, codec, { lossless: true });
  const codestream = await encodeFrame(pixels, layout, codec, { lossless: true });
  await writePart10File(
    path,
    {
      transferSyntax: plan.transferSyntax,
      rows: size,
      columns: size,
      samplesPerPixel: 1,
      bitsAllocated: 16,
      bitsStored: 16,
      pixelRepresentation: 1,
      photometric: 'MONOCHROME2',
      rescaleIntercept: 0,
      rescaleSlope: 1,
      windowCenter: -600,
      windowWidth: 1500,
      modality: 'CT',
      ...more,
    },
    [codestream],
  );
}

/** Bump when the same options would give different files. */
const VERSION = 1;

export function defaultCacheDir(): string {
  return process.env.DICOMFLOW_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'dicomflow');
}

/**
 * The sample dataset's manifest (`path,label`), generating the files first
 * when the cache does not hold this exact version and these options.
 *
 * @example const { manifest } = await ensureSampleTask(); // then sources.manifest = manifest
 */
export async function ensureSampleTask(options: SampleTaskOptions = {}): Promise<SampleTask> {
  const patients = options.patients ?? 24;
  const slices = options.slicesPerPatient ?? 10;
  const seed = options.seed ?? 2026;
  const key = `v${VERSION}-p${patients}-s${slices}-seed${seed}`;
  const dir = join(options.cacheDir ?? defaultCacheDir(), `sample-${key}`);
  const manifest = join(dir, 'manifest.csv');
  const lesions = join(dir, 'lesions.json');
  const t0 = performance.now();
  if (existsSync(manifest)) {
    // Caches made before the sidecar existed get it now.
    if (!existsSync(lesions)) writeLesions(lesions, seed, patients, slices);
    return { manifest, dir, files: patients * slices, generated: false, seconds: 0, lesions };
  }

  mkdirSync(dir, { recursive: true });
  const rows = ['path,label'];
  const total = patients * slices;
  for (let p = 0; p < patients; p++) {
    // Per patient: one size and one codec, so both vary across the data set but not within a series.
    const size = p % 2 === 0 ? 256 : 320;
    const codec: Codec = p % 4 < 2 ? 'j2k' : 'jpegls';
    const patientId = `SAMPLE-${String(p + 1).padStart(3, '0')}`;
    const study = makeUid(`sample/${seed}/${p}/study`);
    const series = makeUid(`sample/${seed}/${p}/series`);
    for (let i = 0; i < slices; i++) {
      const { sliceSeed, label, lesion, file } = slicePlan(seed, p, i);
      const pixels = ctSlice({ size, seed: sliceSeed, lesion });
      await writeCtSlice(join(dir, file), pixels, size, codec, {
        patientName: `Sample^${p + 1}`,
        ids: { patientId, studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: makeUid(`sample/${seed}/${p}/${i}`) },
      });
      rows.push(`${file},${label}`);
      options.onProgress?.(p * slices + i + 1, total);
    }
  }
  writeLesions(lesions, seed, patients, slices);
  // The manifest is written last, under a temporary name: its presence means the set is complete.
  writeFileSync(`${manifest}.tmp`, `${rows.join('\n')}\n`);
  renameSync(`${manifest}.tmp`, manifest);
  writeFileSync(join(dir, 'sample.json'), JSON.stringify({ version: VERSION, patients, slicesPerPatient: slices, seed }, null, 2));
  return { manifest, dir, files: total, generated: true, seconds: (performance.now() - t0) / 1000, lesions };
}

/** Reads the labels back from a sample manifest (for tests). */
export function sampleLabels(manifest: string): number[] {
  return readFileSync(manifest, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
}
