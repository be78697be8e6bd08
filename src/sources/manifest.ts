/**
 * The manifest: a CSV of `path,label[,split]`, which is how labels reach the
 * pipeline. A header row (first cell `path`) is optional; fields may be
 * quoted as in RFC 4180. Relative paths are relative to the manifest's folder.
 * A bad row or a missing file is reported and the other rows are kept.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ManifestError, SourceError } from '../errors.js';
import type { Listing } from './files.js';
import { DEFAULT_HTTP, httpItem, isHttpUrl, type HttpOptions } from './http.js';
import { fileItem } from './item.js';

/** Splits CSV text into rows of fields, with the line number each row starts on. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0]!.trim() === '')) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
  };
  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte order mark
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += c;
  }
  if (field !== '' || fields.length > 0) endRow();
  return rows;
}

/** Reads a manifest into items with labels; a path may also be an http(s) URL. */
export async function readManifest(manifest: string, http: HttpOptions = DEFAULT_HTTP): Promise<Listing> {
  const out: Listing = { items: [], problems: [] };
  let text: string;
  try {
    text = await readFile(manifest, 'utf8');
  } catch (err) {
    out.problems.push(new SourceError(`cannot read manifest ${manifest}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { stage: 'source', file: manifest }, { cause: err }));
    return out;
  }
  const base = dirname(manifest);
  const rows = parseCsv(text);
  for (const [n, row] of rows.entries()) {
    const at = { stage: 'source' as const, file: `${manifest}:${row.line}` };
    const [path, label, split, ...extra] = row.fields.map((f) => f.trim());
    if (n === 0 && path?.toLowerCase() === 'path') continue;
    if (!path || label === undefined || label === '' || extra.length > 0) {
      out.problems.push(new ManifestError(`line ${row.line} must be path,label[,split] (got ${JSON.stringify(row.fields.join(','))})`, at));
      continue;
    }
    if (isHttpUrl(path)) {
      out.items.push(httpItem(path, http, split ? { label, split } : { label }));
      continue;
    }
    const full = isAbsolute(path) ? path : resolve(base, path);
    try {
      const st = await stat(full);
      if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOTFILE' });
      out.items.push(fileItem(full, st.size, split ? { label, split } : { label }));
    } catch (err) {
      out.problems.push(
        new SourceError(`manifest line ${row.line}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, at, { cause: err }),
      );
    }
  }
  return out;
}
