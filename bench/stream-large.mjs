#!/usr/bin/env node
// Streams a generated ~2 GB multi-frame file through the reader and measures
// peak RSS with /usr/bin/time -v (Debian package `time`), plus when the header
// and the first frame arrived. Native and encapsulated layouts, each in its own
// process. Results: bench/results/stream-large.json and a table on stdout.
//
//   node bench/stream-large.mjs [--frames 256] [--size 2048] [--dir /tmp] [--chunk 1048576] [--keep]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeLarge } from './lib/make-large.mjs';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '256' },
    size: { type: 'string', default: '2048' },
    dir: { type: 'string', default: tmpdir() },
    chunk: { type: 'string', default: '1048576' },
    keep: { type: 'boolean', default: false },
  },
});
if (!existsSync('/usr/bin/time')) {
  console.error('bench/stream-large: /usr/bin/time is missing (apt-get install time)');
  process.exit(2);
}
if (!existsSync(new URL('../dist/index.js', import.meta.url))) {
  console.error('bench/stream-large: build first (npm run build)');
  process.exit(2);
}
const work = mkdtempSync(join(values.dir, 'dicomflow-large-'));
const cleanup = () => values.keep || rmSync(work, { recursive: true, force: true });
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

const results = [];
try {
  for (const encapsulated of [false, true]) {
    const name = encapsulated ? 'encapsulated (JPEG-LS layout, 1 fragment/frame)' : 'native (Explicit VR LE, 16-bit)';
    const path = join(work, encapsulated ? 'large-encapsulated.dcm' : 'large-native.dcm');
    const n = Number(values.size);
    const bytes = makeLarge(path, { rows: n, columns: n, frames: Number(values.frames), encapsulated });
    const reader = new URL('./lib/read-file.mjs', import.meta.url).pathname;
    const r = spawnSync('/usr/bin/time', ['-v', process.execPath, reader, path, values.chunk], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`reader failed: ${r.stderr}`);
    const timing = JSON.parse(r.stdout.trim().split('\n').at(-1));
    const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
    results.push({
      layout: name,
      fileBytes: bytes,
      frames: timing.frames,
      frameBytes: n * n * 2,
      chunkBytes: Number(values.chunk),
      peakRssMB: Math.round(rssKb / 1024),
      headerMs: Number(timing.headerMs.toFixed(1)),
      firstFrameMs: Number(timing.firstFrameMs.toFixed(1)),
      bytesReadAtFirstFrame: timing.bytesReadAtFirstFrame,
      totalSeconds: Number((timing.totalMs / 1000).toFixed(2)),
      mbPerSecond: Number((bytes / 1e6 / (timing.totalMs / 1000)).toFixed(0)),
    });
    rmSync(path, { force: true });
  }
} finally {
  cleanup();
}

const out = {
  bench: 'stream-large',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  note: 'file freshly written, so it is read from the page cache: this measures the reader, not the disk',
  results,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/stream-large.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
console.log('| layout | file | frames | peak RSS | header after | frame 0 after (bytes read) | total | MB/s |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.layout} | ${(r.fileBytes / 2 ** 30).toFixed(2)} GiB | ${r.frames} | ${r.peakRssMB} MB | ${r.headerMs} ms | ${r.firstFrameMs} ms (${(r.bytesReadAtFirstFrame / 2 ** 20).toFixed(0)} MiB) | ${r.totalSeconds} s | ${r.mbPerSecond} |`,
  );
}
console.log(`\nJSON: bench/results/stream-large.json`);
