/**
 * The versions of the codecs, for a dataset's index, its shards' identity and
 * the sample cache's key: a sample decoded by another codec version is
 * another sample. The cornerstone packages by version; dicomflow's own
 * builds (wasm/own/, the default J2K decoder) by the SHA-256 of their
 * binaries and glue; and which build each DICOMFLOW_* variable asks for, as
 * set in this process (the workers inherit it).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { OWN_BUILDS } from '../codecs/index.js';

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

/**
 * @example
 *   codecVersions() // { '@cornerstonejs/codec-openjpeg': '1.3.6', ..., 'wasm/own/openjpeg-simd.wasm': 'sha256:f1f5...', DICOMFLOW_OPENJPEG: 'auto', ... }
 */
export function codecVersions(): Record<string, string> {
  if (!cached) {
    cached = {};
    for (const spec of PACKAGES) {
      const name = spec.split('/').slice(0, 2).join('/');
      try {
        cached[name] = versionOf(spec);
      } catch {
        cached[name] = 'missing';
      }
    }
    for (const path of OWN_BUILDS.flatMap((b) => [b.spec.binary, b.spec.glue])) {
      const key = `wasm/own/${basename(path)}`;
      try {
        cached[key] = `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
      } catch {
        cached[key] = 'missing';
      }
    }
  }
  // Read each time: the choice is the environment's, and a test or an embedding program may change it.
  const builds: Record<string, string> = {};
  for (const { variable } of OWN_BUILDS) builds[variable] = process.env[variable] || 'auto';
  return { ...cached, ...builds };
}
