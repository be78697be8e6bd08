// The page cache, emptied and filled with Debian's vmtouch: how the storage
// bench makes a read cold (from the disk) or warm (from memory).
import { spawn, spawnSync } from 'node:child_process';

export function haveVmtouch() {
  return !spawnSync('vmtouch', ['-h']).error;
}

/** Drops the files' pages. Dirty pages cannot be dropped, so they are written back first. */
export function evict(paths) {
  spawnSync('sync');
  const r = spawnSync('vmtouch', ['-q', '-e', ...paths], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vmtouch -e failed: ${r.error?.message ?? r.stderr}`);
}

/** The same for one file, in the background: off the caller's critical path. */
export function evictLater(path) {
  spawn('vmtouch', ['-q', '-e', path], { stdio: 'ignore' });
}

/** Reads the files' pages into the cache (what a warm server or a warm client has). */
export function warm(paths) {
  spawnSync('vmtouch', ['-q', '-t', ...paths]);
}
