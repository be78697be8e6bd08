// The limits the storage bench draws beside each measured setup: what the
// storage can deliver on its own (fio for a disk, the page cache for warm
// reads, the shaped rate for a link) and what decoding can (codec-only
// throughput on one thread, times the workers).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { child, median } from '../common.mjs';

/**
 * Sequential read of a fresh file with O_DIRECT (no page cache), in MB/s, on
 * the file system holding `dir`. Returns { mbPerSecond } or { mbPerSecond: null, why }.
 */
export function fioSequentialRead(dir, sizeMB) {
  if (spawnSync('fio', ['--version']).error) return { mbPerSecond: null, why: 'fio is missing (Debian package fio)' };
  const tmp = mkdtempSync(join(dir, '.fio-'));
  try {
    const r = spawnSync(
      'fio',
      ['--name=dfbench', `--directory=${tmp}`, '--rw=read', '--bs=1M', `--size=${sizeMB}M`, '--direct=1', '--ioengine=psync', '--numjobs=1', '--output-format=json'],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
    );
    if (r.status !== 0) return { mbPerSecond: null, why: `fio failed: ${r.stderr.trim().split('\n').at(-1)}` };
    const bw = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))).jobs[0].read.bw_bytes;
    return { mbPerSecond: bw / 1e6, tool: `fio ${sizeMB} MiB sequential read, 1 MiB blocks, O_DIRECT` };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Reading the files from the page cache (they are read once first), in MB/s: the median of 3. */
export function pageCacheRead(files) {
  const once = () => {
    const t = performance.now();
    let bytes = 0;
    for (const f of files) bytes += readFileSync(f).length;
    return bytes / 1e6 / ((performance.now() - t) / 1000);
  };
  once();
  return { mbPerSecond: median([once(), once(), once()]), tool: 'readFileSync of the corpus from the page cache' };
}

/**
 * Codec-only decode rate on one thread (no pool, no preprocessing), times the
 * workers; with `atLeast` ('WxH', the pipeline's sub-resolution decoding) the
 * codec decodes at the level the pipeline does.
 */
export function decodeLimit(files, workers, atLeast = null) {
  const r = child('./codec-run.mjs', ['--repeat', '1', ...(atLeast ? ['--at-least', atLeast] : []), ...files]);
  return { framesPerSecond: r.framesPerSecond * workers, singleThread: r.framesPerSecond, workers, codec: r.codec };
}
