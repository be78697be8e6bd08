// CPU time of another process (a server the bench started), from /proc.
import { readFileSync } from 'node:fs';

/** User + system CPU seconds of process `pid` so far, or null when it cannot be read. */
export function processCpuSeconds(pid) {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}
