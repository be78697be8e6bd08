/** The class fixtures of test/fixtures/classes (made by make.sh there with independent tools) and their references. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLASSES = fileURLToPath(new URL('../fixtures/classes/', import.meta.url));

export interface ClassFixture {
  name: string;
  class: string;
  file: string;
  transferSyntax: string;
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  photometricInterpretation: string;
  referenceFile: string;
  referenceDtype: 'uint8' | 'uint16' | 'int16' | 'uint32' | 'float32' | 'float64';
  referenceDecoder: { decoder: string; command: string };
  bytes: Uint8Array;
}

export function classFixtures(): string[] {
  const index = JSON.parse(readFileSync(`${CLASSES}index.json`, 'utf8')) as { fixtures: (string | { name: string })[] };
  return index.fixtures.map((f) => (typeof f === 'string' ? f : f.name));
}

export function classFixture(name: string): ClassFixture {
  const s = JSON.parse(readFileSync(`${CLASSES}${name}.json`, 'utf8')) as Omit<ClassFixture, 'bytes'>;
  return { ...s, bytes: new Uint8Array(readFileSync(`${CLASSES}${s.file}`)) };
}

const DTYPES = { uint8: Uint8Array, uint16: Uint16Array, int16: Int16Array, uint32: Uint32Array, float32: Float32Array, float64: Float64Array };

/** The reference pixels, all frames, in the fixture's reference dtype. */
export function classReference(name: string): ArrayLike<number> {
  const s = classFixture(name);
  const raw = readFileSync(`${CLASSES}${s.referenceFile}`);
  return new DTYPES[s.referenceDtype](raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
}
