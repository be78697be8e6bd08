/**
 * Files, directories (recursive) and globs. A path that cannot be read is
 * reported as a SourceError and the rest are still listed.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import fg from 'fast-glob';
import { SourceError, type DicomflowError } from '../errors.js';
import { fileItem, type SourceItem } from './item.js';

export interface Listing {
  items: SourceItem[];
  problems: DicomflowError[];
}

function isGlob(p: string): boolean {
  return fg.isDynamicPattern(p);
}

/**
 * Expands paths into file items, in a stable order (each argument in turn,
 * files within it sorted). Hidden files (dot files) inside directories are
 * skipped; a file named explicitly is always taken.
 *
 * @example const { items, problems } = await listFiles(['scans/', 'extra/*.dcm']);
 */
export async function listFiles(paths: readonly string[]): Promise<Listing> {
  const out: Listing = { items: [], problems: [] };
  const seen = new Set<string>();
  const add = (path: string, size: number) => {
    const abs = resolve(path);
    if (seen.has(abs)) return;
    seen.add(abs);
    out.items.push(fileItem(path, size));
  };
  for (const p of paths) {
    if (isGlob(p)) {
      const found = await fg(p, { onlyFiles: true, stats: true, dot: false, followSymbolicLinks: true, suppressErrors: false }).catch((err: Error) => {
        out.problems.push(new SourceError(`cannot expand glob ${p}: ${err.message}`, { stage: 'source', file: p }, { cause: err }));
        return [];
      });
      if (found.length === 0 && !out.problems.some((e) => e.where.file === p)) {
        out.problems.push(new SourceError(`glob ${p} matches no file`, { stage: 'source', file: p }));
      }
      found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      for (const f of found) add(f.path, f.stats?.size ?? 0);
      continue;
    }
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      out.problems.push(new SourceError(`cannot read ${p}: ${e.code ?? e.message}`, { stage: 'source', file: p }, { cause: err }));
      continue;
    }
    if (st.isDirectory()) {
      const pattern = `${fg.convertPathToPattern(p)}/**/*`;
      const found = await fg(pattern, { onlyFiles: true, stats: true, dot: false, followSymbolicLinks: true });
      found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      if (found.length === 0) out.problems.push(new SourceError(`directory ${p} holds no file`, { stage: 'source', file: p }));
      for (const f of found) add(f.path, f.stats?.size ?? 0);
    } else if (st.isFile()) {
      add(p, st.size);
    } else {
      out.problems.push(new SourceError(`${p} is neither a file nor a directory`, { stage: 'source', file: p }));
    }
  }
  return out;
}
