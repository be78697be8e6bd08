/**
 * The versions of the codec packages, for a dataset's index and its shards'
 * identity: a sample decoded by another codec version is another sample.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const PACKAGES = [
  '@cornerstonejs/codec-openjpeg/wasm',
  '@cornerstonejs/codec-openjph/wasm',
  '@cornerstonejs/codec-charls/wasm',
  '@cornerstonejs/codec-libjpeg-turbo-8bit/wasm',
  '@cornerstonejs/jpeg-lossless-decoder-js',
  '@cornerstonejs/dicom-image-loader',
];

let cached: Record<string, string> | undefined;

/** The version of the package a resolvable module belongs to (walks up to its package.json). */
function versionOf(spec: string): string {
  let dir = dirname(require.resolve(spec));
  for (let i = 0; i < 6; i++) {
    try {
      const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (p.name && p.version) return p.version;
    } catch {
      // not here
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

export function codecVersions(): Record<string, string> {
  if (cached) return cached;
  cached = {};
  for (const spec of PACKAGES) {
    const name = spec.split('/').slice(0, 2).join('/');
    try {
      cached[name] = versionOf(spec);
    } catch {
      cached[name] = 'missing';
    }
  }
  return cached;
}
