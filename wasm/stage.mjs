#!/usr/bin/env node
// Copies the codec WebAssembly binaries from the pinned @cornerstonejs codec
// packages into wasm/, where the decode workers load them from. Run by
// `npm install` (the prepare script); safe to run again.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
/** [package export, file name in wasm/] */
export const BINARIES = [
  ['@cornerstonejs/codec-openjpeg/wasm', 'openjpegwasm.wasm'],
  ['@cornerstonejs/codec-openjph/wasm', 'openjphjs.wasm'],
  ['@cornerstonejs/codec-charls/wasm', 'charlswasm.wasm'],
  ['@cornerstonejs/codec-libjpeg-turbo-8bit/wasm', 'libjpegturbowasm.wasm'],
];

mkdirSync(here, { recursive: true });
let failed = 0;
for (const [spec, name] of BINARIES) {
  let from;
  try {
    from = require.resolve(spec);
  } catch {
    console.error(`wasm/stage: cannot find ${spec}: is it installed? (npm install)`);
    failed++;
    continue;
  }
  const to = join(here, name);
  if (!existsSync(to) || statSync(to).size !== statSync(from).size || statSync(to).mtimeMs < statSync(from).mtimeMs) copyFileSync(from, to);
}
if (failed) process.exit(1);
