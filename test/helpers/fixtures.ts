/** The committed fixtures (made by test/fixtures/make.sh with GDCM and DCMTK) and their sidecars. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface Sidecar {
  file: string;
  transferSyntax: string;
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: number;
  photometricInterpretation: string;
  planarConfiguration: number | null;
  rescaleSlope: number | null;
  rescaleIntercept: number | null;
  windowCenter: number | null;
  windowWidth: number | null;
  lossy: boolean;
  maxAbsError: number;
  offsetTable: string;
  fragmentsPerFrame: string | null;
  hasPreamble: boolean;
  referencePhotometric: string;
  referencePlanarConfiguration: number | null;
  referenceFile: string;
}

export function fixtureNames(): string[] {
  return (JSON.parse(readFileSync(`${FIXTURES}index.json`, 'utf8')) as { fixtures: string[] }).fixtures;
}
export function sidecar(name: string): Sidecar {
  return JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as Sidecar;
}
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}${name}.dcm`));
}
export function referenceBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}${sidecar(name).referenceFile}`));
}
